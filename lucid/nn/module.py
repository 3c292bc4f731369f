"""Module: registration, traversal, train/eval, dtype/device moves and repr."""

from collections import OrderedDict

from ..backend import to_device
from ..dtypes import to_dtype
from ..tensor import Tensor
from .parameter import Parameter, is_lazy
from . import state_dict as _state


class Module:
    """Base class of layers and models.

    Parameters, buffers and submodules assigned as attributes are registered, so
    ``parameters()``, ``state_dict()`` and ``to()`` find them.
    """

    def __init__(self):
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent_buffers", set())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_forward_pre_hooks", OrderedDict())
        object.__setattr__(self, "_forward_hooks", OrderedDict())
        object.__setattr__(self, "_load_state_dict_pre_hooks", OrderedDict())
        object.__setattr__(self, "training", True)

    def forward(self, *args, **kwargs):
        """The computation of one call; every layer defines it (call the module, not ``forward``)."""
        raise NotImplementedError(f"{type(self).__name__} has no forward()")

    def __call__(self, *args, **kwargs):
        for hook in list(self._forward_pre_hooks.values()):
            result = hook(self, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
        out = self.forward(*args, **kwargs)
        for hook in list(self._forward_hooks.values()):
            result = hook(self, args, out)
            if result is not None:
                out = result
        return out

    # ------------------------------------------------------------ registration
    def __setattr__(self, name, value):
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"call Module.__init__() before assigning {name!r} in {type(self).__name__}")
        params, buffers, modules = self._parameters, self._buffers, self._modules
        if isinstance(getattr(type(self), name, None), property):
            object.__setattr__(self, name, value)  # e.g. a parametrized tensor: its setter decides
        elif isinstance(value, Parameter):
            self._forget(name)
            params[name] = value
        elif isinstance(value, Module):
            self._forget(name)
            modules[name] = value
        elif name in params:
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} to parameter {name!r} (Parameter or None expected)")
            params[name] = None
        elif name in modules:
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} to submodule {name!r} (Module or None expected)")
            modules[name] = None
        elif name in buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign {type(value).__name__} to buffer {name!r} (Tensor or None expected)")
            buffers[name] = value
        else:
            object.__setattr__(self, name, value)

    def _forget(self, name):
        self.__dict__.pop(name, None)
        for registry in (self._parameters, self._buffers, self._modules):
            registry.pop(name, None)
        self._non_persistent_buffers.discard(name)

    def __getattr__(self, name):
        state = self.__dict__
        for registry in ("_parameters", "_buffers", "_modules"):
            if registry in state and name in state[registry]:
                return state[registry][name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __delattr__(self, name):
        if name in self._parameters or name in self._buffers or name in self._modules:
            self._forget(name)
        else:
            object.__delattr__(self, name)

    def _new_parameter(self, shape, dtype=None, device=None):
        """A Parameter of ``shape`` with unspecified values; ``reset_parameters`` fills it."""
        from ..creation import empty

        return Parameter(empty(shape, dtype=dtype, device=device))

    def _init_weight_and_bias(self, weight_shape, bias_shape, bias, dtype, device):
        """Register ``weight`` and ``bias`` (a None slot when ``bias`` is False), then ``reset_parameters``."""
        self.weight = self._new_parameter(weight_shape, dtype, device)
        if bias:
            self.bias = self._new_parameter(bias_shape, dtype, device)
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def register_parameter(self, name, param):
        """Register ``param`` (a Parameter, or None for an empty slot) under ``name``."""
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"parameter {name!r} must be a Parameter or None, got {type(param).__name__}")
        self._forget(name)
        self._parameters[name] = param

    def register_buffer(self, name, tensor, persistent=True):
        """Register a non-learnable tensor; a persistent one is saved in ``state_dict``."""
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"buffer {name!r} must be a Tensor or None, got {type(tensor).__name__}")
        self._forget(name)
        self._buffers[name] = tensor
        if not persistent:
            self._non_persistent_buffers.add(name)

    def add_module(self, name, module):
        """Register ``module`` (or None) as a child under ``name``."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{name!r} must be a Module or None, got {type(module).__name__}")
        self._forget(name)
        self._modules[name] = module

    register_module = add_module

    def get_submodule(self, target):
        """The submodule at the dotted path ``target`` (e.g. ``"0.conv"``)."""
        module = self
        for part in target.split(".") if target else []:
            if part not in module._modules:
                raise AttributeError(f"{type(module).__name__} has no submodule {part!r}")
            module = module._modules[part]
        return module

    def register_forward_pre_hook(self, hook):
        """Call ``hook(module, args)`` before each forward; it may return replacement args."""
        return _HookHandle(self._forward_pre_hooks, hook)

    def register_forward_hook(self, hook):
        """Call ``hook(module, args, output)`` after each forward; it may return a new output."""
        return _HookHandle(self._forward_hooks, hook)

    def _register_load_state_dict_pre_hook(self, hook):
        """``hook(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs)``
        runs before this module loads its own keys; it may append to ``error_msgs``."""
        return _HookHandle(self._load_state_dict_pre_hooks, hook)

    # --------------------------------------------------------------- traversal
    def named_modules(self, memo=None, prefix=""):
        """Yield ``(name, module)`` for this module and every descendant, each once."""
        memo = set() if memo is None else memo
        if id(self) in memo:
            return
        memo.add(id(self))
        yield prefix, self
        for name, module in self._modules.items():
            if module is not None:
                yield from module.named_modules(memo, f"{prefix}.{name}" if prefix else name)

    def modules(self):
        """Yield this module and every descendant."""
        for _, module in self.named_modules():
            yield module

    def named_children(self):
        """Yield ``(name, module)`` for the direct children."""
        seen = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def children(self):
        """Yield the direct children."""
        for _, module in self.named_children():
            yield module

    def _named_members(self, registry, prefix, recurse):
        seen = set()
        modules = self.named_modules(prefix=prefix) if recurse else [(prefix, self)]
        for module_prefix, module in modules:
            for name, value in getattr(module, registry).items():
                if value is None or id(value) in seen:
                    continue
                seen.add(id(value))
                yield (f"{module_prefix}.{name}" if module_prefix else name), value

    def named_parameters(self, prefix="", recurse=True):
        """Yield ``(dotted name, parameter)``, each parameter once."""
        yield from self._named_members("_parameters", prefix, recurse)

    def parameters(self, recurse=True):
        """Yield the parameters (lazy placeholders included), each once."""
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix="", recurse=True):
        """Yield ``(dotted name, buffer)``."""
        yield from self._named_members("_buffers", prefix, recurse)

    def buffers(self, recurse=True):
        """Yield the buffers."""
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    # ------------------------------------------------------------------- modes
    def train(self, mode=True):
        """Set training mode on this module and its descendants; returns self."""
        if not isinstance(mode, bool):
            raise TypeError(f"train(mode) expects a bool, got {type(mode).__name__}")
        for module in self.modules():
            object.__setattr__(module, "training", mode)
        return self

    def eval(self):
        """Set evaluation mode (``train(False)``); returns self."""
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        """Set ``requires_grad`` on every parameter; returns self."""
        for param in self.parameters():
            param.requires_grad = requires_grad
        return self

    def zero_grad(self, set_to_none=True):
        """Clear the parameters' gradients (set them to None, or to zeros)."""
        for param in self.parameters():
            if set_to_none:
                param.grad = None
            elif param.grad is not None:
                param.grad = param.grad.detach() * 0

    def apply(self, fn):
        """Call ``fn`` on every descendant, then on this module; returns self."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    # ------------------------------------------------------------------- moves
    def to(self, *args, dtype=None, device=None):
        """Move floating parameters and buffers to ``dtype`` and/or ``device``, in place."""
        for arg in args:
            if isinstance(arg, str) and arg.partition(":")[0] in ("cpu", "cuda", "gpu", "mps") or (
                type(arg).__name__ == "Device" or type(arg).__name__ == "device"
            ):
                device = arg
            else:
                dtype = arg
        dtype = None if dtype is None else to_dtype(dtype)
        device = None if device is None else to_device(device)
        if dtype is not None and not dtype.is_floating_point:
            raise TypeError(f"Module.to only accepts floating dtypes, got {dtype}")
        for module in self.modules():
            module._apply_move(dtype, device)
        return self

    def _apply_move(self, dtype, device):
        """Convert this module's own parameters and buffers; lazy modules also record targets."""
        for tensor in list(self._parameters.values()) + list(self._buffers.values()):
            if tensor is None or is_lazy(tensor):
                continue
            if dtype is not None and tensor.is_floating_point():
                tensor._array = tensor._array.astype(dtype.numpy, copy=False)
                if tensor.grad is not None:
                    tensor.grad = tensor.grad.to(dtype=dtype)

    def float(self):
        """Cast floating parameters and buffers to float32; returns self."""
        return self.to(dtype="float32")

    def double(self):
        """Cast floating parameters and buffers to float64; returns self."""
        return self.to(dtype="float64")

    def half(self):
        """Cast floating parameters and buffers to float16; returns self."""
        return self.to(dtype="float16")

    def cpu(self):
        """Move parameters and buffers to the cpu; returns self."""
        return self.to("cpu")

    def cuda(self, device=None):
        """Move to a CUDA device: raises, since lucid has no GPU backend yet."""
        return self.to("cuda" if device is None else device)

    # ------------------------------------------------------------------- state
    def state_dict(self, destination=None, prefix="", keep_vars=False):
        """An ordered mapping from dotted names to parameters and persistent buffers."""
        return _state.collect(self, destination, prefix, keep_vars)

    def _save_to_state_dict(self, destination, prefix, keep_vars):
        for name, param in self._parameters.items():
            if param is not None:
                destination[prefix + name] = param if keep_vars else param.detach()
        for name, buffer in self._buffers.items():
            if buffer is not None and name not in self._non_persistent_buffers:
                destination[prefix + name] = buffer if keep_vars else buffer.detach()

    def load_state_dict(self, state_dict, strict=True):
        """Copy values from ``state_dict`` into this module's parameters and buffers.

        Values may be lucid Tensors, NumPy arrays or anything with ``__array__`` (a PyTorch
        state_dict loads directly). All problems are collected and raised together; on any
        error nothing is changed. Returns ``(missing_keys, unexpected_keys)``.
        """
        return _state.load(self, state_dict, strict)

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                              error_msgs):
        """Load this module's own keys (not its children's); subclasses may extend it."""
        for hook in list(self._load_state_dict_pre_hooks.values()):
            hook(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs)
        _state.load_own(self, state_dict, prefix, missing_keys, error_msgs)

    # -------------------------------------------------------------------- repr
    def extra_repr(self):
        """Extra text inside this module's ``repr``; layers override it with their settings."""
        return ""

    def __repr__(self):
        lines = [line for line in self.extra_repr().split("\n") if line]
        for name, module in self._modules.items():
            text = repr(module).replace("\n", "\n  ")
            lines.append(f"({name}): {text}")
        if not self._modules:
            return f"{type(self).__name__}({', '.join(lines) if len(lines) <= 1 else chr(10).join(lines)})"
        return f"{type(self).__name__}(\n  " + "\n  ".join(lines) + "\n)"

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(self._parameters) | set(self._buffers) | set(self._modules))


class _HookHandle:
    """Returned by ``register_*_hook``; ``remove()`` unregisters the hook."""

    _next_id = 0

    def __init__(self, registry, hook):
        _HookHandle._next_id += 1
        self.id = _HookHandle._next_id
        self.registry = registry
        registry[self.id] = hook

    def remove(self):
        self.registry.pop(self.id, None)

"""Containers: Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict."""

import numbers
from collections import OrderedDict
from collections.abc import Mapping

from ..module import Module
from ..parameter import Parameter


def _position(container, index, allow_end=False):
    """``index`` as a position in ``range(len(container))`` (negative counts from the end)."""
    if not isinstance(index, numbers.Integral) or isinstance(index, bool):
        raise TypeError(f"{type(container).__name__} indices must be integers or slices, got {type(index).__name__}")
    size = len(container)
    position = index + size if index < 0 else index
    if not 0 <= position < size + (1 if allow_end else 0):
        raise IndexError(f"{type(container).__name__} index {index} is out of range for length {size}")
    return int(position)


def _check_module(container, module, where):
    if not isinstance(module, Module):
        raise TypeError(f"{type(container).__name__} holds Modules, got {type(module).__name__} at {where}")
    return module


class _IndexedModules(Module):
    """Integer-keyed submodules ``"0"``, ``"1"``, ...: the layout Sequential and ModuleList share."""

    def __setitem__(self, index, module):
        position = _position(self, index)
        self._modules[str(position)] = _check_module(self, module, f"index {index}")

    def __delitem__(self, index):
        modules = list(self._modules.values())
        if isinstance(index, slice):
            del modules[index]
        else:
            del modules[_position(self, index)]
        self._renumber(modules)

    def _renumber(self, modules):
        self._modules.clear()
        for i, module in enumerate(modules):
            self._modules[str(i)] = module

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def append(self, module):
        """Add ``module`` at the end; returns the container."""
        self._modules[str(len(self))] = _check_module(self, module, f"index {len(self)}")
        return self

    def extend(self, modules):
        """Append every module of an iterable; returns the container."""
        modules = list(modules)
        for i, module in enumerate(modules):
            _check_module(self, module, f"position {i} of the iterable")
        for module in modules:
            self.append(module)
        return self

    def insert(self, index, module):
        """Insert ``module`` before ``index`` (negative counts from the end, as list.insert)."""
        _check_module(self, module, f"index {index}")
        size = len(self)
        position = min(max(index + size if index < 0 else index, 0), size)
        modules = list(self._modules.values())
        modules.insert(position, module)
        self._renumber(modules)

    def __iadd__(self, modules):
        return self.extend(modules)

    def __add__(self, other):
        return type(self)(*self, *other)

    def __dir__(self):
        return [name for name in super().__dir__() if not name.isdigit()]


class Sequential(_IndexedModules):
    """Modules applied one after another; built from positional modules or an OrderedDict."""

    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            for name, module in modules[0].items():
                self.add_module(name, module)
        else:
            for index, module in enumerate(modules):
                if not isinstance(module, Module):
                    raise TypeError(f"Sequential takes Modules, got {type(module).__name__} at position {index}")
                self.add_module(str(index), module)

    def forward(self, x):
        """Apply each module to the previous one's output."""
        for module in self._modules.values():
            x = module(x)
        return x

    def __getitem__(self, index):
        if isinstance(index, slice):
            return Sequential(OrderedDict(list(self._modules.items())[index]))
        return list(self._modules.values())[_position(self, index)]

    def __setitem__(self, index, module):
        key = list(self._modules)[_position(self, index)]
        self._modules[key] = _check_module(self, module, f"index {index}")


class ModuleList(_IndexedModules):
    """A list of submodules, registered as ``"0"``, ``"1"``, ... (so state_dict keys read ``0.weight``).

    Parameters
    ----------
    modules : iterable of Module, optional
    """

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return ModuleList(list(self._modules.values())[index])
        return self._modules[str(_position(self, index))]

    def __add__(self, other):
        return ModuleList([*self, *other])


class ModuleDict(Module):
    """An ordered mapping from names to submodules.

    Parameters
    ----------
    modules : mapping or iterable of (str, Module) pairs, optional
    """

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key):
        if key not in self._modules:
            raise KeyError(f"ModuleDict has no key {key!r}; keys are {list(self._modules)}")
        return self._modules[key]

    def __setitem__(self, key, module):
        self.add_module(_check_key(self, key), _check_module(self, module, f"key {key!r}"))

    def __delitem__(self, key):
        self[key]  # the KeyError above
        del self._modules[key]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def __contains__(self, key):
        return key in self._modules

    def keys(self):
        return self._modules.keys()

    def items(self):
        return self._modules.items()

    def values(self):
        return self._modules.values()

    def pop(self, key):
        module = self[key]
        del self[key]
        return module

    def clear(self):
        self._modules.clear()

    def update(self, modules):
        """Add the (name, module) pairs of a mapping or an iterable of pairs."""
        pairs = list(modules.items() if isinstance(modules, Mapping) else modules)
        for pair in pairs:
            if len(pair) != 2:
                raise ValueError(f"ModuleDict.update expects (name, module) pairs, got {pair!r}")
            _check_key(self, pair[0])
            _check_module(self, pair[1], f"key {pair[0]!r}")
        for key, module in pairs:
            self.add_module(key, module)


def _check_key(container, key):
    if not isinstance(key, str):
        raise TypeError(f"{type(container).__name__} keys must be str, got {type(key).__name__} {key!r}")
    if not key or "." in key:
        raise KeyError(f"{type(container).__name__} key must be a non-empty name without '.', got {key!r}")
    return key


def _as_parameter(value):
    from ...tensor import Tensor

    if isinstance(value, Parameter):
        return value
    if isinstance(value, Tensor):
        return Parameter(value)
    raise TypeError(f"expected a Parameter or Tensor, got {type(value).__name__}")


class ParameterList(Module):
    """A list of Parameters registered as ``"0"``, ``"1"``, ... (Tensors are wrapped as Parameters).

    Parameters
    ----------
    values : iterable of Parameter or Tensor, optional
    """

    def __init__(self, values=None):
        super().__init__()
        if values is not None:
            self.extend(values)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return ParameterList(list(self._parameters.values())[index])
        return self._parameters[str(_position(self, index))]

    def __setitem__(self, index, value):
        self._parameters[str(_position(self, index))] = _as_parameter(value)

    def __len__(self):
        return len(self._parameters)

    def __iter__(self):
        return iter(self._parameters.values())

    def __iadd__(self, values):
        return self.extend(values)

    def append(self, value):
        self._parameters[str(len(self))] = _as_parameter(value)
        return self

    def extend(self, values):
        values = [_as_parameter(v) for v in values]
        for value in values:
            self.append(value)
        return self

    def extra_repr(self):
        return "\n".join(f"({i}): Parameter of shape {tuple(p.shape)}" for i, p in enumerate(self))


class ParameterDict(Module):
    """An ordered mapping from names to Parameters (Tensors are wrapped as Parameters).

    Parameters
    ----------
    parameters : mapping or iterable of (str, Parameter) pairs, optional
    """

    def __init__(self, parameters=None):
        super().__init__()
        if parameters is not None:
            self.update(parameters)

    def __getitem__(self, key):
        if key not in self._parameters:
            raise KeyError(f"ParameterDict has no key {key!r}; keys are {list(self._parameters)}")
        return self._parameters[key]

    def __setitem__(self, key, value):
        self.register_parameter(_check_key(self, key), _as_parameter(value))

    def __delitem__(self, key):
        self[key]
        del self._parameters[key]

    def __len__(self):
        return len(self._parameters)

    def __iter__(self):
        return iter(self._parameters)

    def __contains__(self, key):
        return key in self._parameters

    def keys(self):
        return self._parameters.keys()

    def items(self):
        return self._parameters.items()

    def values(self):
        return self._parameters.values()

    def update(self, parameters):
        pairs = list(parameters.items() if isinstance(parameters, Mapping) else parameters)
        checked = [(_check_key(self, key), _as_parameter(value)) for key, value in pairs]
        for key, value in checked:
            self.register_parameter(key, value)

    def extra_repr(self):
        return "\n".join(f"({k}): Parameter of shape {tuple(p.shape)}" for k, p in self.items())

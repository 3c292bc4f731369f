"""Optimizer: parameter groups, per-parameter state, and PyTorch-layout state dicts."""

import copy
import math
import numbers
from collections.abc import Mapping

import numpy as np

from ..autograd.grad_mode import enable_grad
from ..nn.parameter import is_lazy
from ..nn.state_dict import as_array
from ..tensor import Tensor


class Optimizer:
    """Base class of optimizers.

    Parameters
    ----------
    params : iterable of Parameter, or iterable of dict
        The tensors to optimize, or parameter groups: dicts with a ``"params"`` entry and
        hyperparameters that override ``defaults`` for that group.
    defaults : dict
        Hyperparameters of every group that does not set its own.

    Notes
    -----
    Parameters are held as objects and per-parameter state is created on the first ``step``
    that sees the parameter with data and a gradient, so a lazy layer's placeholders may be
    materialized (in place) after the optimizer was built; until then they are skipped.
    """

    def __init__(self, params, defaults):
        self.defaults = dict(defaults)
        self.state = {}
        self.param_groups = []
        if isinstance(params, Tensor):
            raise TypeError("params must be an iterable of Parameters or of dicts, got a single Tensor; "
                            "wrap it in a list")
        if isinstance(params, (set, frozenset)):
            raise TypeError("params must be an ordered iterable (a list), not a set: the order defines state_dict indices")
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], Mapping):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    # ------------------------------------------------------------------ groups
    def add_param_group(self, param_group):
        """Add a group (a dict with ``"params"`` and optional hyperparameters); checked before anything changes."""
        if not isinstance(param_group, Mapping):
            raise TypeError(f"a parameter group must be a dict, got {type(param_group).__name__}")
        if "params" not in param_group:
            raise ValueError("a parameter group must have a 'params' entry")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError("a group's params must be an ordered iterable (a list), not a set")
        else:
            params = list(params)
        for index, param in enumerate(params):
            if not isinstance(param, Tensor):
                raise TypeError(f"optimizers can only optimize Tensors, but params[{index}] is "
                                f"{type(param).__name__}")
            if not param.is_leaf:
                raise ValueError(f"params[{index}] is not a leaf tensor (it was computed from others); "
                                 "optimize the leaves instead")
        seen = set()
        for group in self.param_groups:
            seen.update(id(p) for p in group["params"])
        for index, param in enumerate(params):
            if id(param) in seen:
                raise ValueError(f"params[{index}] appears more than once among the optimizer's parameters")
            seen.add(id(param))
        group = dict(self.defaults)
        group.update((key, value) for key, value in param_group.items() if key != "params")
        self._check_group(group)
        group["params"] = params
        self.param_groups.append(group)

    def _check_group(self, group):
        """Raise ValueError for hyperparameters out of range; subclasses extend this."""
        for name in ("lr", "weight_decay"):
            if name in group:
                _check_number(name, group[name], minimum=0.0)

    # ------------------------------------------------------------------ stepping
    def zero_grad(self, set_to_none=True):
        """Clear every parameter's gradient: drop it (default) or fill it with zeros."""
        for group in self.param_groups:
            for param in group["params"]:
                if param.grad is None:
                    continue
                if set_to_none:
                    param.grad = None
                else:
                    param.grad = Tensor._from_array(np.zeros_like(param.grad._array), param.grad.device)

    def step(self, closure=None):
        """Update the parameters once; ``closure`` re-evaluates the model and returns the loss."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            for param in group["params"]:
                if is_lazy(param) or param.grad is None:
                    continue  # a lazy placeholder not materialized yet, or a parameter without gradient
                state = self.state.get(param, {})
                self._update(param, param.grad._array, state, group)
                param._bump_version()
                if state:  # e.g. plain SGD keeps none, as in PyTorch
                    self.state[param] = state
        return loss

    _tensor_state = frozenset()  # state entries that must be tensors shaped like the parameter

    def _update(self, param, grad, state, group):
        """Apply one update to ``param._array`` in place (arrays, no graph)."""
        raise NotImplementedError

    # ------------------------------------------------------------------- state
    def state_dict(self):
        """PyTorch's layout: ``{'state': {index: {...}}, 'param_groups': [{..., 'params': [indices]}]}``.

        Indices number the parameters in group order. Tensors in the state are copies, so the
        result is a snapshot that later steps do not change.
        """
        groups, state, index = [], {}, 0
        for group in self.param_groups:
            packed = {key: copy.deepcopy(value) for key, value in group.items() if key != "params"}
            packed["params"] = []
            for param in group["params"]:
                if param in self.state:
                    state[index] = {name: _copy_value(value) for name, value in self.state[param].items()}
                packed["params"].append(index)
                index += 1
            groups.append(packed)
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Restore state and hyperparameters from ``state_dict`` (this optimizer's layout or PyTorch's).

        Everything is checked first; on any error the optimizer is left unchanged.
        """
        if not isinstance(state_dict, Mapping) or "state" not in state_dict or "param_groups" not in state_dict:
            raise ValueError("an optimizer state_dict must be a mapping with 'state' and 'param_groups' entries, "
                             f"got {type(state_dict).__name__}"
                             + (f" with keys {sorted(map(str, state_dict))}" if isinstance(state_dict, Mapping) else ""))
        saved_groups, saved_state = state_dict["param_groups"], state_dict["state"]
        if not isinstance(saved_groups, (list, tuple)) or not all(isinstance(g, Mapping) for g in saved_groups):
            raise ValueError("state_dict['param_groups'] must be a list of dicts")
        if not isinstance(saved_state, Mapping):
            raise ValueError(f"state_dict['state'] must be a dict, got {type(saved_state).__name__}")
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"loaded state_dict has {len(saved_groups)} parameter group(s), "
                             f"this optimizer has {len(self.param_groups)}")
        param_of, new_groups = {}, []
        for number, (group, saved) in enumerate(zip(self.param_groups, saved_groups)):
            indices = saved.get("params")
            if not isinstance(indices, (list, tuple)):
                raise ValueError(f"param_groups[{number}] has no 'params' list of indices")
            if len(indices) != len(group["params"]):
                raise ValueError(f"param_groups[{number}] holds {len(indices)} parameter(s) in the state_dict "
                                 f"but {len(group['params'])} in this optimizer")
            for index, param in zip(indices, group["params"]):
                param_of[_index(index)] = param
            new_group = {key: value for key, value in group.items() if key != "params"}
            for key, value in saved.items():
                if key == "params":
                    continue
                if isinstance(new_group.get(key), tuple) and isinstance(value, list):
                    value = tuple(value)
                new_group[key] = copy.deepcopy(value)
            try:
                self._check_group(new_group)
            except (TypeError, ValueError) as error:
                raise ValueError(f"param_groups[{number}]: {error}") from None
            new_group["params"] = group["params"]
            new_groups.append(new_group)
        new_state = {}
        for key, entries in saved_state.items():
            index = _index(key)
            if index not in param_of:
                raise ValueError(f"state_dict['state'] has an entry for parameter index {key!r}, which no "
                                 f"parameter group lists (known indices: {sorted(param_of)})")
            if not isinstance(entries, Mapping):
                raise ValueError(f"state_dict['state'][{key!r}] must be a dict, got {type(entries).__name__}")
            param = param_of[index]
            new_state[param] = {name: _restore_value(f"state[{key!r}][{name!r}]", name, value, param,
                                                     name in self._tensor_state)
                                for name, value in entries.items()}
        for group, new_group in zip(self.param_groups, new_groups):
            group.clear()
            group.update(new_group)
        self.state = new_state

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for number, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {number}")
            lines.extend(f"    {key}: {value}" for key, value in sorted(group.items()) if key != "params")
        lines.append(")")
        return "\n".join(lines)


# ---------------------------------------------------------------------- helpers
def _check_number(name, value, minimum=None, below=None):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {type(value).__name__} {value!r}")
    if math.isnan(value) or (minimum is not None and value < minimum) or (below is not None and value >= below):
        bounds = f">= {minimum}" if below is None else f"in [{minimum}, {below})"
        raise ValueError(f"{name} must be {bounds}, got {value!r}")


def _index(key):
    if isinstance(key, bool):
        raise ValueError(f"parameter indices must be ints, got {key!r}")
    if isinstance(key, numbers.Integral):
        return int(key)
    if isinstance(key, str) and key.isdigit():
        return int(key)
    raise ValueError(f"parameter indices must be ints, got {key!r}")


def _copy_value(value):
    if isinstance(value, Tensor):
        return Tensor._from_array(value._array.copy(), value.device)
    return copy.deepcopy(value)


def _restore_value(where, name, value, param, tensor_expected):
    """A saved state entry as this optimizer keeps it: tensors become lucid Tensors of the parameter's dtype."""
    if not tensor_expected and (value is None or isinstance(value, (bool, numbers.Number))):
        return value
    try:
        array = as_array(value)
    except TypeError as error:
        raise ValueError(f"state_dict {where}: {error}") from None
    if name == "step":  # PyTorch keeps the step count as a 0-d float tensor; lucid uses an int
        if array.size != 1:
            raise ValueError(f"state_dict {where}: a step count must be a single number, got shape {array.shape}")
        number = array.reshape(()).item()
        return int(number) if float(number).is_integer() else number
    if is_lazy(param):
        raise ValueError(f"state_dict {where}: its parameter is still uninitialized (a lazy layer before its "
                         "first forward); load the model's state_dict first")
    if array.shape != param._array.shape:
        raise ValueError(f"state_dict {where}: shape {tuple(array.shape)} does not match the parameter's "
                         f"shape {tuple(param._array.shape)}")
    if array.dtype.kind == "f" and param._array.dtype.kind == "f":
        array = array.astype(param._array.dtype)
    else:
        array = array.copy()
    return Tensor._from_array(array, param.device)

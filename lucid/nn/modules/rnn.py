"""Recurrent layers: RNN, LSTM, GRU and their single-step cells, with PyTorch's parameter layout.

Each layer computes the input projection of all time steps in one matrix product, then loops
over time only (never over the batch). Everything is plain code over differentiable primitives,
so gradients, and gradients of gradients, come from autograd.
"""

import math

from ...creation import zeros
from ...functions import cat, stack
from ...dtypes import from_numpy_dtype
from ...tensor import Tensor, where
from .. import functional as F
from .. import init
from .._checks import parameter_options, positive_int
from ..module import Module
from ..utils.rnn import PackedSequence, _pack_time_major, _padded

# name -> (gates per hidden unit, has a cell state)
_MODES = {"LSTM": (4, True), "GRU": (3, False), "RNN_TANH": (1, False), "RNN_RELU": (1, False)}


# --------------------------------------------------------------------------- one time step
def _lstm_step(gates_x, h, c, w_hh, b_hh, w_hr=None):
    """One LSTM step given the input's share of the gates (x·W_ihᵀ + b_ih, shape (B, 4H)).

    Gate order i, f, g, o as in PyTorch: c' = f·c + i·g, h' = o·tanh(c') (then ·W_hrᵀ with a projection).
    """
    gates = gates_x + h @ w_hh.transpose(0, 1)
    if b_hh is not None:
        gates = gates + b_hh
    size = c.shape[-1]
    sig = gates.sigmoid()  # i, f and o; the g quarter is recomputed with tanh below
    i, f, o = sig[..., :size], sig[..., size : 2 * size], sig[..., 3 * size :]
    g = gates[..., 2 * size : 3 * size].tanh()
    c = f * c + i * g
    h = o * c.tanh()
    if w_hr is not None:
        h = h @ w_hr.transpose(0, 1)
    return h, c


def _gru_step(gates_x, h, w_hh, b_hh):
    """One GRU step (gate order r, z, n): n = tanh(x_n + r·(W_hn·h + b_hn)), h' = (1 - z)·n + z·h."""
    gates_h = h @ w_hh.transpose(0, 1)
    if b_hh is not None:
        gates_h = gates_h + b_hh
    size = h.shape[-1]
    rz = (gates_x[..., : 2 * size] + gates_h[..., : 2 * size]).sigmoid()
    r, z = rz[..., :size], rz[..., size:]
    n = (gates_x[..., 2 * size :] + r * gates_h[..., 2 * size :]).tanh()
    return n + z * (h - n)


def _rnn_step(gates_x, h, w_hh, b_hh, nonlinearity):
    pre = gates_x + h @ w_hh.transpose(0, 1)
    if b_hh is not None:
        pre = pre + b_hh
    return pre.tanh() if nonlinearity == "tanh" else pre.relu()


def _input_projection(x, w_ih, b_ih):
    out = x @ w_ih.transpose(0, 1)
    return out if b_ih is None else out + b_ih


def _check_input_tensor(name, x, input_size, dtype):
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}: input must be a Tensor, got {type(x).__name__}")
    if x.ndim not in (2, 3):
        raise ValueError(f"{name}: expected a 2-D (unbatched) or 3-D (batched) input, got {x.ndim}-D input "
                         f"of shape {x.shape}")
    if x.shape[-1] != input_size:
        raise ValueError(f"{name}: input.size(-1) must be equal to input_size. Expected {input_size}, "
                         f"got {x.shape[-1]} (input shape {x.shape})")
    if x._array.dtype != dtype:
        raise TypeError(f"{name}: input dtype {x.dtype} must match the parameters' dtype {from_numpy_dtype(dtype)}")


def _check_state(name, which, state, expected, dtype):
    if not isinstance(state, Tensor):
        raise TypeError(f"{name}: {which} must be a Tensor, got {type(state).__name__}")
    if tuple(state.shape) != tuple(expected):
        raise RuntimeError(f"{name}: expected {which} of size {tuple(expected)}, got {tuple(state.shape)}")
    if state._array.dtype != dtype:
        raise TypeError(f"{name}: {which} dtype {state.dtype} must match the input dtype")


# --------------------------------------------------------------------------- full layers
class RNNBase(Module):
    """Shared parameters, checks and time loop of RNN, LSTM and GRU.

    Parameters are registered in PyTorch's order and names: for layer ``k`` and each
    direction, ``weight_ih_l{k}``, ``weight_hh_l{k}``, ``bias_ih_l{k}``, ``bias_hh_l{k}``
    (``weight_hr_l{k}`` with ``proj_size``), the reverse direction with a ``_reverse`` suffix.
    The input may also be a ``lucid.nn.utils.rnn.PackedSequence``; the output is then packed
    the same way and each final state is the one after that sequence's last step.
    """

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__()
        if mode not in _MODES:
            raise ValueError(f"mode must be one of {sorted(_MODES)}, got {mode!r}")
        device = parameter_options(bias, dtype, device)
        self.mode = mode
        self.input_size = positive_int("input_size", input_size)
        self.hidden_size = positive_int("hidden_size", hidden_size)
        self.num_layers = positive_int("num_layers", num_layers)
        self.bias = bias
        self.batch_first = bool(batch_first)
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0 <= dropout <= 1:
            raise ValueError(f"dropout must be a number in [0, 1], got {dropout!r}")
        self.dropout = float(dropout)
        self.bidirectional = bool(bidirectional)
        if isinstance(proj_size, bool) or not isinstance(proj_size, int) or proj_size < 0:
            raise ValueError(f"proj_size must be a non-negative int, got {proj_size!r}")
        if proj_size and mode != "LSTM":
            raise ValueError(f"proj_size is only supported by LSTM, got proj_size={proj_size} for {mode}")
        if proj_size >= hidden_size:
            raise ValueError(f"proj_size must be smaller than hidden_size, got proj_size={proj_size}, "
                             f"hidden_size={hidden_size}")
        self.proj_size = proj_size
        gates = _MODES[mode][0] * hidden_size
        real_hidden = proj_size or hidden_size
        self._flat_weights_names = []
        for layer in range(self.num_layers):
            layer_input = self.input_size if layer == 0 else real_hidden * self._directions
            for suffix in ("", "_reverse")[: self._directions]:
                shapes = [(f"weight_ih_l{layer}{suffix}", (gates, layer_input)),
                          (f"weight_hh_l{layer}{suffix}", (gates, real_hidden))]
                if bias:
                    shapes += [(f"bias_ih_l{layer}{suffix}", (gates,)), (f"bias_hh_l{layer}{suffix}", (gates,))]
                if proj_size:
                    shapes.append((f"weight_hr_l{layer}{suffix}", (proj_size, hidden_size)))
                for name, shape in shapes:
                    setattr(self, name, self._new_parameter(shape, dtype, device))
                    self._flat_weights_names.append(name)
        self.reset_parameters()

    @property
    def _directions(self):
        return 2 if self.bidirectional else 1

    def reset_parameters(self):
        """Every weight and bias uniform in ±1/√hidden_size, as PyTorch initialises them."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for param in self.parameters():
            init.uniform_(param, -bound, bound)

    def flatten_parameters(self):
        """Does nothing: there is no fused weight buffer to compact (kept for PyTorch code that calls it)."""

    @property
    def all_weights(self):
        """The parameters of each layer and direction, in PyTorch's order."""
        per = len(self._flat_weights_names) // (self.num_layers * self._directions)
        names = self._flat_weights_names
        return [[getattr(self, n) for n in names[i : i + per]] for i in range(0, len(names), per)]

    def _weights(self, layer, direction):
        suffix = "_reverse" if direction else ""
        get = self._parameters.get
        return (get(f"weight_ih_l{layer}{suffix}"), get(f"weight_hh_l{layer}{suffix}"),
                get(f"bias_ih_l{layer}{suffix}"), get(f"bias_hh_l{layer}{suffix}"),
                get(f"weight_hr_l{layer}{suffix}"))

    def _state_shape(self, batch, cell):
        size = self.hidden_size if cell or not self.proj_size else self.proj_size
        lead = (self.num_layers * self._directions,)
        return lead + ((batch,) if batch is not None else ()) + (size,)

    def _prepare(self, x, hx, time_major=False):
        """Check ``x`` and ``hx``; return time-major batched input, the initial states and the unbatched flag."""
        name = type(self).__name__
        dtype = self.weight_ih_l0._array.dtype
        _check_input_tensor(name, x, self.input_size, dtype)
        batched = x.ndim == 3
        if not batched:
            x = x.unsqueeze(1)
        elif self.batch_first and not time_major:
            x = x.transpose(0, 1)
        if x.shape[0] == 0:
            raise ValueError(f"{name}: expected a sequence length larger than 0, got input of shape {x.shape}")
        batch = x.shape[1]
        has_cell = _MODES[self.mode][1]
        if hx is None:
            h = zeros(*self._state_shape(batch, False), dtype=dtype, device=x.device)
            states = (h, zeros(*self._state_shape(batch, True), dtype=dtype, device=x.device)) if has_cell else (h,)
        else:
            if has_cell:
                if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                    raise TypeError(f"{name}: hx must be a tuple (h_0, c_0), got {type(hx).__name__}")
                states = tuple(hx)
            else:
                states = (hx,)
            for which, state, cell in zip(("h_0", "c_0"), states, (False, True)):
                _check_state(name, which, state, self._state_shape(batch if batched else None, cell), dtype)
            if not batched:
                states = tuple(s.unsqueeze(1) for s in states)
        return x, states, batched

    def _run_direction(self, x, layer, direction, states, masks):
        """Run one direction of one layer over the time-major ``x``; return its outputs and final states.

        ``masks[t]`` (packed input only) marks the sequences still running at step ``t``: the
        others keep their state, so each sequence's final state is the one after its last step.
        """
        w_ih, w_hh, b_ih, b_hh, w_hr = self._weights(layer, direction)
        gates_x = _input_projection(x, w_ih, b_ih)
        steps = range(x.shape[0] - 1, -1, -1) if direction else range(x.shape[0])
        outputs = [None] * x.shape[0]
        nonlinearity = "tanh" if self.mode == "RNN_TANH" else "relu"
        for t in steps:
            if self.mode == "LSTM":
                new = _lstm_step(gates_x[t], *states, w_hh, b_hh, w_hr)
            elif self.mode == "GRU":
                new = (_gru_step(gates_x[t], *states, w_hh, b_hh),)
            else:
                new = (_rnn_step(gates_x[t], *states, w_hh, b_hh, nonlinearity),)
            states = new if masks is None else tuple(where(masks[t], n, s) for n, s in zip(new, states))
            outputs[t] = states[0]
        return outputs, states

    def _forward(self, x, hx):
        packed = x if isinstance(x, PackedSequence) else None
        masks = None
        if packed is not None:
            x, lengths = _padded(packed)
            masks = [Tensor(lengths[:, None] > t) for t in range(x.shape[0])]
            if hx is not None and packed.sorted_indices is not None:
                order = packed.sorted_indices._array
                hx = tuple(s[:, order] for s in hx) if isinstance(hx, (tuple, list)) else hx[:, order]
        x, states, batched = self._prepare(x, hx, time_major=packed is not None)
        finals = [[] for _ in states]
        layer_input = x
        for layer in range(self.num_layers):
            per_direction = []
            for direction in range(self._directions):
                index = layer * self._directions + direction
                outputs, last = self._run_direction(layer_input, layer, direction, tuple(s[index] for s in states),
                                                    masks)
                per_direction.append(stack(outputs, 0))
                for store, value in zip(finals, last):
                    store.append(value)
            layer_input = per_direction[0] if len(per_direction) == 1 else cat(per_direction, -1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                layer_input = F.dropout(layer_input, self.dropout)
        out = layer_input
        finals = tuple(stack(f, 0) for f in finals)
        if packed is not None:
            if packed.unsorted_indices is not None:
                finals = tuple(f[:, packed.unsorted_indices._array] for f in finals)
            return _pack_time_major(out, packed), finals
        if not batched:
            out = out.squeeze(1)
            finals = tuple(f.squeeze(1) for f in finals)
        elif self.batch_first:
            out = out.transpose(0, 1)
        return out, finals

    def extra_repr(self):
        text = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size:
            text += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        if not self.bias:
            text += ", bias=False"
        if self.batch_first:
            text += ", batch_first=True"
        if self.dropout:
            text += f", dropout={self.dropout}"
        if self.bidirectional:
            text += ", bidirectional=True"
        return text


class RNN(RNNBase):
    """Elman RNN: h_t = tanh(x_t·W_ihᵀ + b_ih + h_{t-1}·W_hhᵀ + b_hh) (or ReLU).

    Parameters
    ----------
    input_size, hidden_size : int
    num_layers : int, optional
    nonlinearity : {'tanh', 'relu'}, optional
    bias : bool, optional
    batch_first : bool, optional
        Input and output are (N, L, H) instead of (L, N, H); the states are not affected.
    dropout : float, optional
        Dropout on the outputs of every layer but the last, in training mode.
    bidirectional : bool, optional
    device, dtype : optional

    Shape
    -----
    Input (L, N, H_in), (N, L, H_in) with batch_first, or (L, H_in) unbatched; ``h_0``
    (D·num_layers, N, H_out). Returns ``(output, h_n)`` with output (L, N, D·H_out).
    """

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, device=None, dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size, hidden_size, num_layers,
                         bias, batch_first, dropout, bidirectional, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        out, (h,) = self._forward(input, hx)
        return out, h


class LSTM(RNNBase):
    """Long short-term memory over a sequence, PyTorch's gates (i, f, g, o) and parameter names.

    Parameters
    ----------
    input_size, hidden_size : int
    num_layers : int, optional
    bias : bool, optional
    batch_first : bool, optional
        Input and output are (N, L, H) instead of (L, N, H); the states are not affected.
    dropout : float, optional
        Dropout on the outputs of every layer but the last, in training mode.
    bidirectional : bool, optional
    proj_size : int, optional
        With ``proj_size > 0`` each h_t is projected to that size by ``weight_hr_l{k}``.
    device, dtype : optional

    Shape
    -----
    Input (L, N, H_in), (N, L, H_in) with batch_first, or (L, H_in) unbatched; ``hx`` a tuple
    ``(h_0, c_0)`` of (D·num_layers, N, H_out) and (D·num_layers, N, H_cell), zeros when omitted.
    Returns ``(output, (h_n, c_n))`` with output (L, N, D·H_out).

    Notes
    -----
    i, f, o = σ(·), g = tanh(·) of x_t·W_ihᵀ + b_ih + h_{t-1}·W_hhᵀ + b_hh (split in that order);
    c_t = f·c_{t-1} + i·g, h_t = o·tanh(c_t). All parameters start uniform in ±1/√hidden_size.
    """

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         proj_size, device, dtype)

    def forward(self, input, hx=None):
        out, (h, c) = self._forward(input, hx)
        return out, (h, c)


class GRU(RNNBase):
    """Gated recurrent unit over a sequence, PyTorch's gates (r, z, n) and parameter names.

    Parameters
    ----------
    input_size, hidden_size : int
    num_layers : int, optional
    bias : bool, optional
    batch_first : bool, optional
    dropout : float, optional
    bidirectional : bool, optional
    device, dtype : optional

    Shape
    -----
    As RNN: returns ``(output, h_n)``.

    Notes
    -----
    r = σ(x_t·W_irᵀ + b_ir + h·W_hrᵀ + b_hr), z likewise;
    n = tanh(x_t·W_inᵀ + b_in + r·(h·W_hnᵀ + b_hn)); h_t = (1 - z)·n + z·h_{t-1}.
    """

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, device=None, dtype=None):
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         device=device, dtype=dtype)

    def forward(self, input, hx=None):
        out, (h,) = self._forward(input, hx)
        return out, h


# --------------------------------------------------------------------------- cells
class RNNCellBase(Module):
    """Parameters ``weight_ih``, ``weight_hh``, ``bias_ih``, ``bias_hh`` of one step, and its checks."""

    _gates = 1
    _has_cell = False

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__()
        device = parameter_options(bias, dtype, device)
        self.input_size = positive_int("input_size", input_size)
        self.hidden_size = positive_int("hidden_size", hidden_size)
        self.bias = bias
        gates = self._gates * self.hidden_size
        self.weight_ih = self._new_parameter((gates, self.input_size), dtype, device)
        self.weight_hh = self._new_parameter((gates, self.hidden_size), dtype, device)
        if bias:
            self.bias_ih = self._new_parameter((gates,), dtype, device)
            self.bias_hh = self._new_parameter((gates,), dtype, device)
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    reset_parameters = RNNBase.reset_parameters

    def _prepare(self, x, hx):
        name = type(self).__name__
        dtype = self.weight_ih._array.dtype
        if not isinstance(x, Tensor):
            raise TypeError(f"{name}: input must be a Tensor, got {type(x).__name__}")
        if x.ndim not in (1, 2):
            raise ValueError(f"{name}: expected a 1-D (unbatched) or 2-D (batched) input, got {x.ndim}-D input "
                             f"of shape {x.shape}")
        batched = x.ndim == 2
        x2 = x if batched else x.unsqueeze(0)
        _check_input_tensor(name, x2, self.input_size, dtype)
        expected = (x2.shape[0], self.hidden_size) if batched else (self.hidden_size,)
        count = 2 if self._has_cell else 1
        if hx is None:
            states = tuple(zeros(x2.shape[0], self.hidden_size, dtype=dtype, device=x.device) for _ in range(count))
        else:
            states = tuple(hx) if self._has_cell else (hx,)
            if len(states) != count:
                raise TypeError(f"{name}: hx must be a tuple (h, c)")
            for which, state in zip(("h", "c"), states):
                _check_state(name, which, state, expected, dtype)
            if not batched:
                states = tuple(s.unsqueeze(0) for s in states)
        return _input_projection(x2, self.weight_ih, self.bias_ih), states, batched

    def extra_repr(self):
        return f"{self.input_size}, {self.hidden_size}" + ("" if self.bias else ", bias=False")


class LSTMCell(RNNCellBase):
    """One LSTM step; ``forward(input, (h, c))`` returns ``(h', c')`` (zeros when hx is omitted).

    Parameters
    ----------
    input_size, hidden_size : int
    bias : bool, optional
    device, dtype : optional

    Shape
    -----
    Input (N, H_in) or (H_in,); h and c (N, H) or (H,).
    """

    _gates = 4
    _has_cell = True

    def forward(self, input, hx=None):
        gates_x, (h, c), batched = self._prepare(input, hx)
        h, c = _lstm_step(gates_x, h, c, self.weight_hh, self.bias_hh)
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """One GRU step; ``forward(input, h)`` returns h' (zeros when h is omitted).

    Parameters
    ----------
    input_size, hidden_size : int
    bias : bool, optional
    device, dtype : optional

    Shape
    -----
    Input (N, H_in) or (H_in,); h (N, H) or (H,).
    """

    _gates = 3

    def forward(self, input, hx=None):
        gates_x, (h,), batched = self._prepare(input, hx)
        h = _gru_step(gates_x, h, self.weight_hh, self.bias_hh)
        return h if batched else h.squeeze(0)


class RNNCell(RNNCellBase):
    """One Elman RNN step, tanh or ReLU; ``forward(input, h)`` returns h'.

    Parameters
    ----------
    input_size, hidden_size : int
    bias : bool, optional
    nonlinearity : {'tanh', 'relu'}, optional
    device, dtype : optional

    Shape
    -----
    Input (N, H_in) or (H_in,); h (N, H) or (H,).
    """

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None, dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        super().__init__(input_size, hidden_size, bias, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        gates_x, (h,), batched = self._prepare(input, hx)
        h = _rnn_step(gates_x, h, self.weight_hh, self.bias_hh, self.nonlinearity)
        return h if batched else h.squeeze(0)

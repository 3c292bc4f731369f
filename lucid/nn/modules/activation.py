"""Activation layers: thin modules over the functional forms."""

from .. import functional as F
from ..module import Module


class ReLU(Module):
    r"""Rectified linear unit, :math:`\max(x, 0)` elementwise.

    Parameters
    ----------
    inplace : bool, default False
        Accepted for PyTorch compatibility; a new tensor is returned.

    Shape
    -----
    - Input: any shape
    - Output: the input's shape

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> nn.ReLU()(lucid.tensor([-1.0, 0.5]))
    tensor([0. , 0.5])
    """

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, x):
        return F.relu(x)


class LeakyReLU(Module):
    r"""Leaky rectifier: :math:`x` for :math:`x > 0`, :math:`\text{negative\_slope} \cdot x` otherwise.

    Parameters
    ----------
    negative_slope : float, default 0.01
        Slope for negative inputs.
    inplace : bool, default False
        Accepted for PyTorch compatibility; a new tensor is returned.

    Shape
    -----
    - Input: any shape
    - Output: the input's shape

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> nn.LeakyReLU(0.1)(lucid.tensor([-2.0, 3.0]))
    tensor([-0.2,  3. ])
    """

    def __init__(self, negative_slope=0.01, inplace=False):
        super().__init__()
        if isinstance(negative_slope, bool) or not isinstance(negative_slope, (int, float)):
            raise TypeError(f"negative_slope must be a number, got {negative_slope!r}")
        self.negative_slope = float(negative_slope)
        self.inplace = inplace

    def forward(self, x):
        return F.leaky_relu(x, self.negative_slope)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}"


class Tanh(Module):
    """Hyperbolic tangent elementwise.

    Shape
    -----
    - Input: any shape
    - Output: the input's shape

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> nn.Tanh()(lucid.zeros(2))
    tensor([0., 0.])
    """

    def forward(self, x):
        return F.tanh(x)


class GELU(Module):
    r"""Gaussian error linear unit, :math:`x \cdot \Phi(x)` with :math:`\Phi` the standard normal CDF.

    Parameters
    ----------
    approximate : {'none', 'tanh'}, default 'none'
        ``'none'`` uses the exact erf; ``'tanh'`` the tanh approximation.

    Shape
    -----
    - Input: any shape
    - Output: the input's shape

    Notes
    -----
    .. math::

        \mathrm{GELU}(x) = \frac{x}{2} \left(1 + \operatorname{erf}(x / \sqrt{2})\right)
        \approx \frac{x}{2} \left(1 + \tanh\left(\sqrt{2/\pi}\,(x + 0.044715\,x^3)\right)\right)

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> y = nn.GELU()(lucid.tensor([0.0, 1.0]))
    >>> [round(v, 4) for v in y.tolist()]
    [0.0, 0.8413]
    """

    def __init__(self, approximate="none"):
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, x):
        return F.gelu(x, approximate=self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class _Elementwise(Module):
    """A parameter-free activation: ``function`` applied to the input (``inplace`` accepted, never used)."""

    function = None

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, x):
        return type(self).function(x)

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class SiLU(_Elementwise):
    """x·sigmoid(x) elementwise."""

    function = staticmethod(F.silu)


class SELU(_Elementwise):
    """Self-normalizing ELU: scale·elu(x, alpha) with PyTorch's constants."""

    function = staticmethod(F.selu)


class Mish(_Elementwise):
    """x·tanh(softplus(x)) elementwise."""

    function = staticmethod(F.mish)


class ReLU6(_Elementwise):
    """min(max(x, 0), 6) elementwise."""

    function = staticmethod(F.relu6)


class Hardsigmoid(_Elementwise):
    """relu6(x + 3) / 6 elementwise."""

    function = staticmethod(F.hardsigmoid)


class Hardswish(_Elementwise):
    """x·relu6(x + 3) / 6 elementwise."""

    function = staticmethod(F.hardswish)


class Sigmoid(Module):
    """1 / (1 + exp(-x)) elementwise."""

    def forward(self, x):
        return F.sigmoid(x)


class LogSigmoid(Module):
    """log(sigmoid(x)) elementwise."""

    def forward(self, x):
        return F.logsigmoid(x)


class Softsign(Module):
    """``x / (1 + |x|)`` elementwise."""

    def forward(self, x):
        return F.softsign(x)


class Tanhshrink(Module):
    """x - tanh(x) elementwise."""

    def forward(self, x):
        return F.tanhshrink(x)


class ELU(Module):
    """x for x > 0, ``alpha``·(exp(x) - 1) otherwise.

    Parameters
    ----------
    alpha : float, optional
        Default 1.0.
    inplace : bool, optional
        Accepted for PyTorch compatibility; a new tensor is returned.
    """

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        self.alpha = F._number("ELU", "alpha", alpha)
        self.inplace = inplace

    def forward(self, x):
        return F.elu(x, self.alpha)

    def extra_repr(self):
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class CELU(ELU):
    """alpha·elu(x/alpha): continuously differentiable ELU.

    Parameters
    ----------
    alpha : float, optional
        Default 1.0.
    inplace : bool, optional
        Accepted for PyTorch compatibility; a new tensor is returned.
    """

    def forward(self, x):
        return F.celu(x, self.alpha)


class Softplus(Module):
    """log(1 + exp(beta·x)) / beta, reverting to x where beta·x > threshold.

    Parameters
    ----------
    beta : float, optional
        Default 1.0.
    threshold : float, optional
        Default 20.0.
    """

    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        self.beta = F._number("Softplus", "beta", beta)
        self.threshold = F._number("Softplus", "threshold", threshold)

    def forward(self, x):
        return F.softplus(x, self.beta, self.threshold)

    def extra_repr(self):
        return f"beta={self.beta}, threshold={self.threshold}"


class Hardtanh(Module):
    """x clipped to [min_val, max_val].

    Parameters
    ----------
    min_val, max_val : float, optional
        Default -1.0 and 1.0.
    inplace : bool, optional
        Accepted for PyTorch compatibility; a new tensor is returned.
    """

    def __init__(self, min_val=-1.0, max_val=1.0, inplace=False):
        super().__init__()
        self.min_val = F._number("Hardtanh", "min_val", min_val)
        self.max_val = F._number("Hardtanh", "max_val", max_val)
        if self.min_val > self.max_val:
            raise ValueError(f"Hardtanh: min_val ({min_val}) must not exceed max_val ({max_val})")
        self.inplace = inplace

    def forward(self, x):
        return F.hardtanh(x, self.min_val, self.max_val)

    def extra_repr(self):
        return f"min_val={self.min_val}, max_val={self.max_val}"


class PReLU(Module):
    """x for x > 0, a·x otherwise, with a learned slope ``a`` (one shared, or one per channel).

    Parameters
    ----------
    num_parameters : int, optional
        1 (default) or the number of input channels (dim 1).
    init : float, optional
        Initial slope, default 0.25.

    Shape
    -----
    Input ``(N, C, *)``; output the same shape.
    """

    def __init__(self, num_parameters=1, init=0.25, device=None, dtype=None):
        super().__init__()
        from .._checks import positive_int

        self.num_parameters = positive_int("num_parameters", num_parameters)
        self.init = F._number("PReLU", "init", init)
        self.weight = self._new_parameter((self.num_parameters,), dtype, device)
        self.reset_parameters()

    def reset_parameters(self):
        self.weight.data.fill_(self.init)

    def forward(self, x):
        return F.prelu(x, self.weight)

    def extra_repr(self):
        return f"num_parameters={self.num_parameters}"


class _DimActivation(Module):
    """A normalization along one dim: ``function(x, dim)``."""

    function = None

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        return type(self).function(x, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class Softmax(_DimActivation):
    """exp(x) / sum(exp(x)) along ``dim``.

    Parameters
    ----------
    dim : int, optional
        None picks PyTorch's implicit dim (0 for 0-, 1- and 3-D input, else 1).
    """

    function = staticmethod(F.softmax)


class LogSoftmax(_DimActivation):
    """log(softmax(x)) along ``dim``, computed stably.

    Parameters
    ----------
    dim : int, optional
        None picks PyTorch's implicit dim.
    """

    function = staticmethod(F.log_softmax)


class Softmin(_DimActivation):
    """softmax(-x) along ``dim``.

    Parameters
    ----------
    dim : int, optional
        None picks PyTorch's implicit dim.
    """

    function = staticmethod(F.softmin)


class GLU(Module):
    """First half along ``dim`` times the sigmoid of the second half.

    Parameters
    ----------
    dim : int, optional
        Default -1; its size must be even.
    """

    def __init__(self, dim=-1):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        return F.glu(x, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"

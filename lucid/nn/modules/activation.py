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

"""Shapes of a 1-d convolution: the case a formulation is chosen for, its taps, the output-size formulas.

Positions: tap ``k`` of short (output) position ``l`` reads long-signal position
``t = l·s + k·d - p``. Splitting the long signal into its ``s`` phases writes that as
``t = (l + q)·s + r`` with ``(q, r) = divmod(k·d - p, s)``: the tap reads phase ``r`` shifted by ``q``.
"""

import collections
import dataclasses
import functools


def conv1d_output_length(length, kernel_size, stride, padding, dilation):
    """``L_out = (L + 2p - d(K - 1) - 1) // s + 1``."""
    return (length + 2 * padding - dilation * (kernel_size - 1) - 1) // stride + 1


def conv_transpose1d_output_length(length, kernel_size, stride, padding, output_padding, dilation):
    """``L_out = (L - 1)·s - 2p + d(K - 1) + output_padding + 1``."""
    return (length - 1) * stride - 2 * padding + dilation * (kernel_size - 1) + output_padding + 1


@dataclasses.dataclass(frozen=True)
class Case:
    """One convolution: x (N, C_in, L) long, w (C_out, C_in // groups, K), y (N, C_out, L_out) short.

    The same case describes ``conv1d`` (x -> y), ``conv1d_grad_input`` (y -> x, the transposed
    convolution) and ``conv1d_grad_weight`` ((x, y) -> w). ``numpy``: the arrays are NumPy's
    (compiled kernels, the thread pool and scratch reuse only run there).
    """

    n: int
    c_in: int
    c_out: int
    kernel_size: int
    stride: int
    padding: int
    dilation: int
    groups: int
    length: int
    out_length: int
    itemsize: int = 4
    numpy: bool = True

    @property
    def c_group(self):
        return self.c_in // self.groups

    @property
    def o_group(self):
        return self.c_out // self.groups

    @property
    def depthwise(self):
        """Nothing to contract over: a GEMM would sum one or two products per output."""
        return self.c_group * self.o_group <= 2

    @property
    def macs(self):
        """Multiply-adds of the dense definition (the same for all three ops)."""
        return self.n * self.c_out * self.c_group * self.kernel_size * self.out_length

    @property
    def taps(self):
        return tap_plan(self.kernel_size, self.stride, self.padding, self.dilation)

    @property
    def weight_size(self):
        return self.c_out * self.c_group * self.kernel_size

    @property
    def long_size(self):
        return self.n * self.c_in * self.length

    @property
    def short_size(self):
        return self.n * self.c_out * self.out_length


@dataclasses.dataclass(frozen=True)
class Tap:
    k: int  # index into the kernel
    q: int  # shift on the phase-split long signal
    r: int  # phase


@dataclasses.dataclass(frozen=True)
class TapPlan:
    """The taps of a (K, s, p, d) convolution on the phase-split long signal."""

    taps: tuple
    shifts: tuple  # the distinct q, sorted

    @property
    def q_min(self):
        return self.shifts[0]

    @property
    def span(self):
        return self.shifts[-1] - self.shifts[0]

    @property
    def per_phase(self):
        """The most taps that read (or write) one phase."""
        return max(collections.Counter(t.r for t in self.taps).values())

    @property
    def per_shift(self):
        """The most taps that share one shift."""
        return max(collections.Counter(t.q for t in self.taps).values())


@functools.lru_cache(maxsize=512)
def tap_plan(kernel_size, stride, padding, dilation):
    taps = tuple(Tap(k, *divmod(k * dilation - padding, stride)) for k in range(kernel_size))
    return TapPlan(taps, tuple(sorted({t.q for t in taps})))

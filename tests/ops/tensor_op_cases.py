"""One table of tensor ops, written once against a torch-like namespace ``lib`` (lucid or torch).

Each case is ``(function, inputs)``: ``function(lib, *tensors)`` returns a tensor or a tuple of
tensors; ``inputs`` lists ``(shape, kind)`` with kind ``"n"`` (standard normal), ``"p"`` (positive,
away from 0), ``"u"`` (inside (-0.9, 0.9)). tests/fixtures/make_tensor_op_fixtures.py runs the table
with torch and stores inputs, outputs and gradients; tests/ops/test_tensor_ops.py runs it with lucid.
"""

import numpy as np

# the gradient of every case is taken of sum(out * probe(out.shape)) over its outputs
SEED = 20261202


def probe(shape):
    """A fixed, non-constant upstream gradient of ``shape`` (no RNG, so tests need not store it)."""
    n = int(np.prod(shape, dtype=np.int64))
    return np.cos(np.arange(n) * 0.37 + 1.0).reshape(shape)


def make_inputs(rng, specs, dtype=np.float32):
    arrays = []
    for shape, kind in specs:
        values = rng.standard_normal(shape)
        if kind == "p":
            values = np.abs(values) + 0.5
        elif kind == "u":
            values = np.tanh(values) * 0.9
        arrays.append(values.astype(dtype))
    return arrays


N3 = ((2, 3, 4), "n")
P3 = ((2, 3, 4), "p")

CASES = {
    # elementwise
    "sin": (lambda lib, x: lib.sin(x), [N3]),
    "cos": (lambda lib, x: x.cos(), [N3]),
    "tan": (lambda lib, x: lib.tan(x), [((3, 4), "u")]),
    "atan2": (lambda lib, a, b: lib.atan2(a, b), [((3, 4), "n"), ((3, 4), "p")]),
    "exp": (lambda lib, x: lib.exp(x), [N3]),
    "log": (lambda lib, x: lib.log(x), [P3]),
    "log1p": (lambda lib, x: lib.log1p(x), [P3]),
    "expm1": (lambda lib, x: x.expm1(), [N3]),
    "log2": (lambda lib, x: lib.log2(x), [P3]),
    "log10": (lambda lib, x: x.log10(), [P3]),
    "sqrt": (lambda lib, x: lib.sqrt(x), [P3]),
    "rsqrt": (lambda lib, x: x.rsqrt(), [P3]),
    "reciprocal": (lambda lib, x: x.reciprocal(), [P3]),
    "square": (lambda lib, x: lib.square(x), [N3]),
    "abs": (lambda lib, x: lib.abs(x), [N3]),
    "sign": (lambda lib, x: lib.sign(x) * x, [N3]),
    "floor-ceil-round": (lambda lib, x: (lib.floor(x * 3), x.ceil(), (x * 4).round(), x.trunc()), [N3]),
    "tanh": (lambda lib, x: lib.tanh(x), [N3]),
    "sigmoid": (lambda lib, x: x.sigmoid(), [N3]),
    "pow-scalar": (lambda lib, x: lib.pow(x, 3), [N3]),
    "pow-fractional": (lambda lib, x: x.pow(1.5), [P3]),
    "pow-tensor": (lambda lib, a, b: lib.pow(a, b), [P3, P3]),
    "rpow": (lambda lib, x: 2.0**x, [N3]),
    "clamp-scalars": (lambda lib, x: lib.clamp(x, -0.5, 0.7), [N3]),
    "clamp-min-only": (lambda lib, x: x.clamp(min=0.1), [N3]),
    "clip-max-only": (lambda lib, x: x.clip(max=0.2), [N3]),
    "clamp-tensors": (lambda lib, x, lo, hi: lib.clamp(x, lo, hi), [N3, ((3, 1), "n"), ((4,), "p")]),
    "where": (lambda lib, a, b: lib.where(a > b, a, b * 2), [N3, ((3, 4), "n")]),
    "where-scalar": (lambda lib, x: lib.where(x > 0, x, 0.0), [N3]),
    "masked_fill": (lambda lib, x: x.masked_fill(x > 0.5, -1.0), [N3]),
    "masked_fill-broadcast-mask": (lambda lib, x, m: x.masked_fill(m > 0, 3.0), [N3, ((3, 1), "n")]),
    "minimum-maximum": (lambda lib, a, b: (lib.minimum(a, b), lib.maximum(a, b)), [N3, ((4,), "n")]),
    "nan_to_num": (lambda lib, x: lib.nan_to_num(lib.log(x)), [N3]),
    "snake": (lambda lib, x, alpha: x + 1.0 / (alpha + 1e-9) * lib.sin(alpha * x) ** 2,
              [((2, 3, 8), "n"), ((1, 3, 1), "p")]),
    "softmax": (lambda lib, x: x.softmax(-1), [N3]),
    "log_softmax": (lambda lib, x: x.log_softmax(1), [N3]),
    "logsumexp": (lambda lib, x: lib.logsumexp(x, 2), [N3]),
    # reductions
    "sum-dims": (lambda lib, x: (x.sum(), x.sum((0, 2)), lib.sum(x, 1, keepdim=True)), [N3]),
    "mean-dims": (lambda lib, x: (x.mean(), x.mean(-1), lib.mean(x, (0, 1), keepdim=True)), [N3]),
    "var-std": (lambda lib, x: (x.var(), x.var(1), x.std(2, keepdim=True), x.var(0, unbiased=False),
                                lib.std(x, (1, 2), correction=0)), [N3]),
    "max-min-all": (lambda lib, x: (x.max(), lib.min(x)), [N3]),
    "max-dim": (lambda lib, x: tuple(x.max(1)), [N3]),
    "min-dim-keepdim": (lambda lib, x: tuple(lib.min(x, -1, keepdim=True)), [N3]),
    "amax-amin": (lambda lib, x: (x.amax(1), lib.amin(x, (0, 2)), x.amax()), [N3]),
    "max-of-two": (lambda lib, a, b: lib.max(a, b), [N3, ((4,), "n")]),
    "argmax-argmin": (lambda lib, x: (x.argmax(), x.argmax(1), lib.argmin(x, -1, keepdim=True)), [N3]),
    "prod": (lambda lib, x: (x.prod(), lib.prod(x, 1), x.prod(2, keepdim=True)), [N3]),
    "cumsum": (lambda lib, x: (lib.cumsum(x, 1), x.cumsum(-1)), [N3]),
    "norm": (lambda lib, x: (x.norm(), lib.norm(x, dim=1), x.norm(p=1, dim=(0, 2)), x.norm(p=3, dim=-1, keepdim=True)),
             [N3]),
    "any-all": (lambda lib, x: ((x > 1).any(), (x > -1).all(1), lib.any(x > 0, 2)), [N3]),
    "isnan-isinf-isfinite": (lambda lib, x: (lib.isnan(lib.log(x)), lib.isinf(1.0 / (x * 0)), lib.isfinite(lib.log(x))),
                             [N3]),
    "comparisons": (lambda lib, a, b: (a.eq(b), a.ne(b), lib.lt(a, b), a.le(b), lib.gt(a, b), a.ge(0.1),
                                       (a > 0) & (b > 0), (a > 0) | (b > 0), ~(a > 0)), [N3, N3]),
    # matrix products
    "matmul-mm-bmm": (lambda lib, a, b, c: (lib.matmul(a, b), lib.mm(a[0], b[0]), lib.bmm(a, b), a @ c),
                      [((2, 3, 4), "n"), ((2, 4, 5), "n"), ((4,), "n")]),
    "einsum": (lambda lib, a, b: (lib.einsum("bij,bjk->bik", a, b), lib.einsum("bij->j", a)),
               [((2, 3, 4), "n"), ((2, 4, 5), "n")]),
    # shape
    "view-reshape": (lambda lib, x, y: (x.view(6, 4), x.view(-1), x.reshape(4, -1), x.view_as(y), x.reshape_as(y)),
                     [N3, ((4, 6), "n")]),
    "flatten-unflatten": (lambda lib, x: (x.flatten(), lib.flatten(x, 1), x.unflatten(2, (2, 2)),
                                          x.flatten(0, 1).unflatten(0, (-1, 3))), [N3]),
    "squeeze-unsqueeze": (lambda lib, x: (x.squeeze(), x.squeeze(0), x.squeeze(1), lib.unsqueeze(x, -1)),
                          [((1, 3, 1, 2), "n")]),
    "transpose-t-mT-permute": (lambda lib, x, m: (x.transpose(0, 2), lib.transpose(x, -1, 1), m.t(), x.mT,
                                                  x.permute(2, 0, 1), lib.permute(x, (1, 2, 0))),
                               [N3, ((3, 5), "n")]),
    "movedim": (lambda lib, x: lib.movedim(x, 0, -1), [N3]),
    "repeat": (lambda lib, x: (x.repeat(2, 1, 3), x.repeat(2, 1, 1, 2)), [N3]),
    "repeat_interleave": (lambda lib, x: (x.repeat_interleave(2, dim=1), lib.repeat_interleave(x, 3),
                                          x.repeat_interleave(lib.tensor([1, 0, 2]), dim=1)), [N3]),
    "expand": (lambda lib, x, y: (x.expand(2, 3, 4), x.expand(5, 2, -1, 4), x.expand_as(y)),
               [((3, 1), "n"), ((2, 3, 4), "n")]),
    "chunk": (lambda lib, x: x.chunk(3, dim=2) + lib.chunk(x, 2, 1), [((2, 3, 5), "n")]),
    "split": (lambda lib, x: x.split(2, dim=-1) + lib.split(x, [1, 3, 1], dim=2), [((2, 3, 5), "n")]),
    "unbind": (lambda lib, x: x.unbind(1), [N3]),
    "narrow-select": (lambda lib, x: (x.narrow(2, 1, 2), lib.narrow(x, 0, 1, 1), x.select(1, -1)), [N3]),
    "flip": (lambda lib, x: (x.flip(0), lib.flip(x, (1, 2)), x.flip(-1)), [N3]),
    "roll": (lambda lib, x: (x.roll(1, 2), lib.roll(x, (-1, 2), (0, 2)), x.roll(5)), [N3]),
    "gather-index_select": (lambda lib, x: (x.gather(2, lib.tensor([[[0, 3], [1, 1], [2, 0]]] * 2)),
                                            lib.index_select(x, 1, lib.tensor([2, 0, 2]))), [N3]),
    "cat-stack": (lambda lib, a, b: (lib.cat([a, b], dim=1), lib.concat([a, a], -1), lib.stack([a, b]),
                                     lib.stack([a, b], dim=-1)), [N3, N3]),
    "indexing": (lambda lib, x: (x[1], x[:, 1:, ::2], x[..., 0], x[None, 0]), [N3]),
    "type_as-double": (lambda lib, x, y: (x.type_as(y) * 2, x.double() * 3), [N3, ((2,), "n")]),
    "sinc": (lambda lib, x: lib.sinc(x * lib.tensor([0.0, 1.0, 1.0, 1.0])), [N3]),
    "unfold": (lambda lib, x: (x.unfold(2, 2, 1), x.unfold(1, 2, 2), x.unfold(-1, 4, 3)), [N3]),
    "sort-topk": (lambda lib, x: tuple(x.sort(1)) + tuple(lib.sort(x, -1, descending=True)) + tuple(x.topk(2))
                  + tuple(lib.topk(x, 1, dim=0, largest=False)) + (x.argsort(2),), [N3]),
    # factories and windows (nothing to differentiate)
    "factories": (lambda lib, x: (lib.arange(5), lib.arange(1, 2, 0.25), lib.arange(3.0), lib.linspace(0, 1, 5),
                                  lib.logspace(0, 2, 3), lib.eye(3, 2), lib.eye(2), lib.full((2, 2), 7),
                                  lib.full((2,), 1.5), lib.full_like(x, 2), lib.zeros_like(x), lib.empty_like(x) * 0,
                                  lib.ones_like(x, dtype=lib.float64), x.new_zeros(2, 3), x.new_ones((2,)),
                                  x.new_full((2,), 3.0), x.new_tensor([1, 2]), x.new_empty(0)), [((3, 2), "n")]),
    "windows": (lambda lib: tuple(w(n, periodic=p, dtype=lib.float64) for w in (
        lib.hann_window, lib.hamming_window, lib.blackman_window, lib.bartlett_window, lib.kaiser_window)
        for n in (0, 1, 2, 7, 8) for p in (True, False)) + (lib.hann_window(5), lib.kaiser_window(6, True, 5.0),
                                                            lib.hamming_window(6, False, 0.5, 0.5)), []),
}

# cases whose outputs are not differentiable in PyTorch (indices, bools) or not in lucid at second order
NO_GRAD = {"argmax-argmin", "any-all", "isnan-isinf-isfinite", "comparisons", "factories", "windows"}
# cases whose float64 gradcheck would cross a kink or needs float32 inputs (the type_as case)
NO_GRADCHECK = NO_GRAD | {"floor-ceil-round", "type_as-double", "nan_to_num"}

"""Every differentiable primitive against central finite differences, in float64."""

import gc
import tracemalloc
import weakref

import numpy as np
import pytest

import lucid
import lucid.nn.functional as F
from lucid.autograd import gradcheck


def t(rng, *shape, positive=False):
    data = rng.standard_normal(shape)
    if positive:
        data = np.abs(data) + 0.5
    return lucid.tensor(data, requires_grad=True)


CASES = {
    "add-broadcast": (lambda a, b: a + b, [(3, 4), (4,)], {}),
    "sub-broadcast": (lambda a, b: a - b, [(3, 1), (1, 4)], {}),
    "mul-broadcast": (lambda a, b: a * b, [(2, 3, 4), (3, 1)], {}),
    "div": (lambda a, b: a / b, [(3, 4), (3, 4)], {"positive": True}),
    "pow-scalar": (lambda a: a ** 3, [(3, 4)], {}),
    "pow-fractional": (lambda a: a ** 0.5, [(3, 4)], {"positive": True}),
    "pow-tensor": (lambda a, b: a ** b, [(3, 4), (3, 4)], {"positive": True}),
    "neg": (lambda a: -a, [(5,)], {}),
    "scalar-ops": (lambda a: 2.0 - a * 3.0 + 1.0 / (a * a + 1.0), [(4,)], {}),
    "matmul": (lambda a, b: a @ b, [(3, 4), (4, 2)], {}),
    "matmul-batched-broadcast": (lambda a, b: a @ b, [(2, 3, 4), (4, 5)], {}),
    "matmul-vector": (lambda a, b: a @ b, [(4,), (4, 3)], {}),
    "matmul-matrix-vector": (lambda a, b: a @ b, [(2, 3, 4), (4,)], {}),
    "sum-all": (lambda a: a.sum(), [(3, 4)], {}),
    "sum-dim-keepdim": (lambda a: a.sum(1, keepdim=True), [(3, 4, 2)], {}),
    "mean-dims": (lambda a: a.mean((0, 2)), [(3, 4, 2)], {}),
    "max": (lambda a: a.amax(1), [(3, 4)], {}),
    "reshape": (lambda a: a.reshape(4, 3) * lucid.arange(12.0).reshape(4, 3), [(3, 4)], {}),
    "transpose": (lambda a: a.transpose(0, 2) * lucid.arange(24.0).reshape(4, 3, 2), [(2, 3, 4)], {}),
    "permute": (lambda a: a.permute(2, 0, 1) * lucid.arange(24.0).reshape(4, 2, 3), [(2, 3, 4)], {}),
    "slicing": (lambda a: a[1:, ::2] * 2, [(3, 5)], {}),
    "fancy-index-repeats": (lambda a: a[[0, 0, 2]], [(3, 2)], {}),
    "exp": (lambda a: a.exp(), [(3, 4)], {}),
    "log": (lambda a: a.log(), [(3, 4)], {"positive": True}),
    "tanh": (lambda a: a.tanh(), [(3, 4)], {}),
    "relu": (lambda a: a.relu(), [(3, 4)], {}),
    "sigmoid": (lambda a: a.sigmoid(), [(3, 4)], {}),
    "abs": (lambda a: a.abs(), [(3, 4)], {}),
    "cat": (lambda a, b: lucid.cat([a, b], dim=1), [(2, 3), (2, 2)], {}),
    "conv1d": (lambda x, w: F.conv1d(x, w, stride=2, padding=1, dilation=2, groups=2), [(2, 4, 9), (6, 2, 3)], {}),
    "conv_transpose1d": (lambda x, w: F.conv_transpose1d(x, w, stride=2, padding=1, output_padding=1),
                         [(2, 3, 4), (3, 2, 3)], {}),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_primitive_gradients_match_finite_differences(name, rng):
    func, shapes, options = CASES[name]
    inputs = [t(rng, *shape, **options) for shape in shapes]
    assert gradcheck(func, inputs)


def test_gradcheck_catches_a_wrong_backward(rng):
    class Wrong(lucid.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * x

        @staticmethod
        def backward(ctx, grad_out):
            return grad_out * ctx.inputs[0]  # missing the factor 2

    with pytest.raises(RuntimeError, match="gradient mismatch"):
        gradcheck(lambda x: Wrong.apply(x), [t(rng, 3)])


def test_gradients_accumulate_over_backward_calls():
    x = lucid.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    (x * x).sum().backward()
    assert x.grad.numpy().tolist() == [5.0, 7.0]


def test_a_tensor_used_twice_gets_the_sum_of_both_paths():
    x = lucid.tensor(3.0, requires_grad=True)
    y = x * x + x
    y.backward()
    assert x.grad.item() == 7.0


def test_backward_needs_a_gradient_for_non_scalars_and_checks_its_shape():
    x = lucid.ones(2, 3, requires_grad=True)
    with pytest.raises(RuntimeError, match="single-element tensor, got shape"):
        (x * 2).backward()
    with pytest.raises(RuntimeError, match=r"gradient has shape \(3,\), expected \(2, 3\)"):
        (x * 2).backward(lucid.ones(3))
    (x * 2).backward(lucid.ones(2, 3))
    assert x.grad.numpy().sum() == 12


def test_no_grad_records_nothing_and_enable_grad_turns_it_back_on():
    x = lucid.ones(2, requires_grad=True)
    with lucid.no_grad():
        y = x * 2
        with lucid.enable_grad():
            z = x * 2
    assert not y.requires_grad and y.grad_fn is None
    assert z.requires_grad and z.grad_fn is not None

    @lucid.no_grad()
    def f(a):
        return a * 2

    assert not f(x).requires_grad


def test_the_graph_is_freed_after_backward_and_a_second_backward_says_so():
    x = lucid.ones(3, requires_grad=True)
    y = (x.exp() * 2).sum()
    node = weakref.ref(y.grad_fn)
    y.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()
    z = (x * 2).sum()
    z.backward(retain_graph=True)
    z.backward()
    np.testing.assert_allclose(x.grad.numpy(), [2 * np.e + 4] * 3, rtol=1e-6)
    del y
    gc.collect()
    assert node() is None


def test_memory_does_not_grow_over_repeated_training_steps(rng):
    layer = lucid.nn.ConvTranspose1d(8, 8, 4, stride=2)
    x = lucid.tensor(rng.standard_normal((4, 8, 64)).astype(np.float32))

    def step():
        loss = (layer(x).tanh() ** 2).mean()
        loss.backward()
        with lucid.no_grad():
            for p in layer.parameters():
                p.sub_(p.grad, alpha=0.01)
                p.grad = None

    for _ in range(3):
        step()
    tracemalloc.start()
    step()
    first, _ = tracemalloc.get_traced_memory()
    for _ in range(20):
        step()
    last, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert last - first < 64 * 1024, f"memory grew by {last - first} bytes over 20 steps"


def test_non_leaf_gradients_are_kept_only_when_asked():
    x = lucid.ones(2, requires_grad=True)
    y = x * 2
    y.retain_grad()
    z = y * 3
    z.sum().backward()
    assert y.grad.numpy().tolist() == [3.0, 3.0] and z.grad is None


def test_autograd_grad_returns_gradients_without_touching_dot_grad():
    x = lucid.tensor([1.0, 2.0], requires_grad=True)
    (gx,) = lucid.autograd.grad((x ** 2).sum(), x)
    assert gx.numpy().tolist() == [2.0, 4.0] and x.grad is None


def test_second_derivative_through_create_graph():
    x = lucid.tensor([1.5, -0.5], requires_grad=True, dtype="float64")
    (gx,) = lucid.autograd.grad((x ** 3).sum(), x, create_graph=True)
    gx.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 6 * x.numpy())


def test_leaf_gradients_never_share_memory_with_each_other_or_the_seed():
    a, b = lucid.ones(3, requires_grad=True), lucid.ones(3, requires_grad=True)
    c = lucid.ones(1, 3, requires_grad=True)
    seed = lucid.ones(3)
    (a + b + c.reshape(3)).backward(seed)
    arrays = [a.grad.numpy(), b.grad.numpy(), c.grad.numpy(), seed.numpy()]
    for i, first in enumerate(arrays):
        for second in arrays[i + 1:]:
            assert not np.shares_memory(first, second)
    a.grad.numpy()[...] = 5
    assert b.grad.numpy().tolist() == [1, 1, 1] and seed.numpy().tolist() == [1, 1, 1]

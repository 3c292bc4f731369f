"""Post-accumulate-grad hooks and end-of-backward callbacks of the engine."""

import numpy as np
import pytest

import lucid
from lucid.autograd.engine import queue_callback, register_post_accumulate_grad_hook


def test_a_post_accumulate_hook_sees_the_finished_grad_of_each_pass():
    w = lucid.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    register_post_accumulate_grad_hook(w, lambda t: seen.append(t.grad.numpy().copy()))
    (w * w).sum().backward()  # w used twice: the hook runs once, on the summed gradient
    (3 * w).sum().backward()
    np.testing.assert_array_equal(seen[0], [2.0, 4.0])
    np.testing.assert_array_equal(seen[1], [5.0, 7.0])  # accumulated into .grad
    assert len(seen) == 2


def test_a_removed_hook_no_longer_runs_and_grad_alone_does_not_run_hooks():
    w = lucid.tensor([1.0], requires_grad=True)
    calls = []
    handle = register_post_accumulate_grad_hook(w, lambda t: calls.append(1))
    lucid.autograd.grad((w * 2).sum(), w)  # returns the gradient, writes no .grad
    assert calls == []
    handle.remove()
    (w * 2).sum().backward()
    assert calls == []


def test_hooks_cannot_go_on_non_leaf_tensors():
    w = lucid.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="non-leaf"):
        register_post_accumulate_grad_hook(w * 2, lambda t: None)


def test_a_queued_callback_runs_once_after_every_leaf_has_its_grad():
    a = lucid.tensor([1.0], requires_grad=True)
    b = lucid.tensor([2.0], requires_grad=True)
    log = []

    def on_a(t):
        log.append("a")
        queue_callback(lambda: log.append(("done", a.grad.item(), b.grad.item())))

    register_post_accumulate_grad_hook(a, on_a)
    register_post_accumulate_grad_hook(b, lambda t: log.append("b"))
    (a * b).sum().backward()
    assert sorted(log[:2]) == ["a", "b"] and log[2] == ("done", 2.0, 1.0) and len(log) == 3
    (a * b).sum().backward()  # the queue starts empty again
    assert len(log) == 6


def test_queue_callback_outside_a_backward_pass_raises():
    with pytest.raises(RuntimeError, match="during a backward pass"):
        queue_callback(lambda: None)


def test_a_failed_backward_drops_its_queued_callbacks():
    w = lucid.tensor([1.0], requires_grad=True)
    ran = []

    def hook(t):
        queue_callback(lambda: ran.append(1))
        raise ValueError("hook fails")

    handle = register_post_accumulate_grad_hook(w, hook)
    with pytest.raises(ValueError, match="hook fails"):
        (w * 2).sum().backward()
    handle.remove()
    (w * 2).sum().backward()
    assert ran == []

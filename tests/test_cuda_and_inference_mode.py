"""torch.cuda queries, .cuda() and inference_mode, as model scripts use them."""

import pytest

import lucid
from lucid import nn


def test_the_usual_device_pick_lands_on_the_cpu():
    assert lucid.cuda.is_available() is False and lucid.cuda.device_count() == 0
    device = lucid.device("cuda" if lucid.cuda.is_available() else "cpu")
    assert lucid.zeros(2, device=device).device == device


@pytest.mark.parametrize("obj", [lucid.zeros(2), nn.Linear(2, 2)], ids=["tensor", "module"])
def test_moving_to_cuda_raises_a_clear_error(obj):
    with pytest.raises(RuntimeError, match="no GPU backend is available"):
        obj.cuda()


def test_inference_mode_records_no_graph_as_a_context_and_a_decorator():
    x = lucid.ones(2, requires_grad=True)
    with lucid.inference_mode():
        assert not (x * 2).requires_grad
    assert (x * 2).requires_grad

    @lucid.inference_mode()
    def double(t):
        return t * 2

    assert not double(x).requires_grad and lucid.is_grad_enabled()


def test_inference_mode_false_leaves_recording_on():
    x = lucid.ones(2, requires_grad=True)
    with lucid.inference_mode(False):
        assert (x * 2).requires_grad
    with lucid.no_grad(), lucid.inference_mode(False):
        assert not (x * 2).requires_grad

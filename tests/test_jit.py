"""lucid.jit: TorchScript-decorated model code runs unchanged, eagerly."""

import numpy as np

import lucid
import lucid.jit
import lucid.nn as nn


class Block(nn.Module):
    scale: lucid.jit.Final[float]

    def __init__(self):
        super().__init__()
        self.scale = 2.0
        self.conv = nn.Conv1d(2, 2, 3, padding=1)

    @lucid.jit.ignore
    def debug(self, x):
        return x

    @lucid.jit.ignore(drop=True)
    def dropped(self, x):
        return x + 1

    @lucid.jit.unused
    def unused(self, x):
        return x - 1

    @lucid.jit.export
    def exported(self, x):
        return x * 3

    def forward(self, x):
        if not lucid.jit.is_scripting():
            x = self.debug(x)
        return self.conv(x) * self.scale


def test_script_and_trace_return_the_same_module_and_function():
    block = Block()
    assert lucid.jit.script(block) is block
    assert lucid.jit.trace(block, lucid.zeros(1, 2, 4)) is block

    def f(x):
        return x + 1

    assert lucid.jit.script(f) is f and lucid.jit.trace(f, (lucid.zeros(1),)) is f


def test_decorated_model_code_runs_and_gives_the_plain_result():
    block = lucid.jit.script(Block())
    x = lucid.randn(1, 2, 5)
    np.testing.assert_allclose(block(x).numpy(), block.conv(x).numpy() * 2.0, rtol=1e-6)
    assert block.dropped(lucid.ones(1)).item() == 2.0
    assert block.unused(lucid.ones(1)).item() == 0.0
    assert block.exported(lucid.ones(1)).item() == 3.0


def test_scripting_and_tracing_flags_are_off_and_annotate_returns_its_value():
    assert lucid.jit.is_scripting() is False and lucid.jit.is_tracing() is False
    assert lucid.jit.annotate(list, [1]) == [1]


def test_a_script_module_subclass_is_an_ordinary_module():
    class Net(lucid.jit.ScriptModule):
        def __init__(self):
            super().__init__()
            self.linear = nn.Linear(2, 1)

        @lucid.jit.script_method
        def forward(self, x):
            return self.linear(x)

    net = Net()
    assert isinstance(net, nn.Module) and net(lucid.zeros(3, 2)).shape == (3, 1)
    assert sorted(net.state_dict()) == ["linear.bias", "linear.weight"]


def test_lucid_jit_is_reachable_as_an_attribute_and_as_a_module():
    import importlib

    assert importlib.import_module("lucid.jit") is lucid.jit
    from lucid.jit import script  # noqa: F401  (the torch.jit import style)

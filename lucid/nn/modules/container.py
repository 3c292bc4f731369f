"""Containers: Sequential."""

from collections import OrderedDict

from ..module import Module


class Sequential(Module):
    """Modules applied one after another; built from positional modules or an OrderedDict.

    Parameters
    ----------
    *modules : Module or OrderedDict
        The layers in order, named ``"0"``, ``"1"``, ... (or by the OrderedDict's keys).

    Examples
    --------
    >>> import lucid
    >>> from lucid import nn
    >>> model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    >>> model(lucid.randn(3, 4)).shape
    (3, 2)
    >>> len(model), type(model[1]).__name__, len(model[:2])
    (3, 'ReLU', 2)
    """

    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            for name, module in modules[0].items():
                self.add_module(name, module)
        else:
            for index, module in enumerate(modules):
                if not isinstance(module, Module):
                    raise TypeError(f"Sequential takes Modules, got {type(module).__name__} at position {index}")
                self.add_module(str(index), module)

    def forward(self, x):
        """Apply each module to the previous one's output."""
        for module in self._modules.values():
            x = module(x)
        return x

    def __getitem__(self, index):
        """The module at ``index``, or a Sequential of a slice."""
        modules = list(self._modules.values())
        if isinstance(index, slice):
            return Sequential(*modules[index])
        return modules[index]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def append(self, module):
        """Add ``module`` at the end; returns this Sequential."""
        self.add_module(str(len(self._modules)), module)
        return self

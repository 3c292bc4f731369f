"""Neural-network building blocks: Module, Parameter, layers, init and functional."""

from . import functional, init
from .module import Module
from .modules import Conv1d, ConvTranspose1d, LazyConv1d, LazyConvTranspose1d, LazyModuleMixin, Sequential
from .parameter import Parameter, UninitializedParameter

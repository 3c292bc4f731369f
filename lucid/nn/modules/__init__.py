from .container import Sequential
from .conv import Conv1d, ConvTranspose1d, LazyConv1d, LazyConvTranspose1d
from .lazy import LazyModuleMixin

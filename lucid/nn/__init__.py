"""Neural-network building blocks: Module, Parameter, layers, init and functional."""

from . import functional, init
from .module import Module
from .modules import Conv1d, ConvTranspose1d, LazyConv1d, LazyConvTranspose1d, LazyModuleMixin, Sequential
from .parameter import Parameter, UninitializedParameter
from .modules import (Conv2d, Conv3d, ConvTranspose2d, ConvTranspose3d, LazyConv2d, LazyConv3d, LazyConvTranspose2d,
                      LazyConvTranspose3d, LazyLinear)
from . import utils
from . import parallel
from .modules import GELU, Identity, L1Loss, LeakyReLU, Linear, MSELoss, ReLU, Tanh
from .modules import ModuleDict, ModuleList, ParameterDict, ParameterList
from .modules import (CircularPad1d, ConstantPad1d, ConstantPad2d, ReflectionPad1d, ReflectionPad2d, ReplicationPad1d,
                      ReplicationPad2d, ZeroPad1d, ZeroPad2d)
from .modules import (ELU, GLU, Hardsigmoid, Hardswish, Hardtanh, LogSigmoid, LogSoftmax, Mish, PReLU, ReLU6, Sigmoid,
                      SiLU, Softmax, Softplus, Softsign, Tanhshrink)
from .modules import BatchNorm1d, BatchNorm2d, GroupNorm, InstanceNorm1d, InstanceNorm2d, LayerNorm
from .modules import AdaptiveAvgPool1d, AdaptiveAvgPool2d, AvgPool1d, AvgPool2d, MaxPool1d, MaxPool2d, Upsample
from .modules import Dropout, Dropout1d, Dropout2d, Embedding, Flatten, Unflatten
from .modules import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, NLLLoss, SmoothL1Loss
from .modules import GRU, GRUCell, LSTM, LSTMCell, RNN, RNNBase, RNNCell, RNNCellBase
from .modules import (CELU, SELU, CircularPad2d, CircularPad3d, ConstantPad3d, ReflectionPad3d, ReplicationPad3d,
                      Softmin, ZeroPad3d)

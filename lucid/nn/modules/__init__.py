from .container import Sequential
from .conv import Conv1d, ConvTranspose1d, LazyConv1d, LazyConvTranspose1d
from .conv import (Conv2d, Conv3d, ConvTranspose2d, ConvTranspose3d, LazyConv2d, LazyConv3d, LazyConvTranspose2d,
                   LazyConvTranspose3d)
from .lazy import LazyModuleMixin
from .activation import GELU, LeakyReLU, ReLU, Tanh
from .linear import Identity, LazyLinear, Linear
from .loss import L1Loss, MSELoss
from .rnn import GRU, GRUCell, LSTM, LSTMCell, RNN, RNNBase, RNNCell, RNNCellBase

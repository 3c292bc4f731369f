"""The global random generator behind ``randn``, ``rand`` and ``nn.init``."""

import numpy as np

_generator = np.random.default_rng()


def manual_seed(seed):
    """Seed lucid's global generator so results repeat."""
    global _generator
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    _generator = np.random.default_rng(int(seed))


def generator():
    return _generator


def get_rng_state():
    """The generator's state as a plain dict (for checkpoints)."""
    return _generator.bit_generator.state


def set_rng_state(state):
    _generator.bit_generator.state = state

import numpy as np
import pytest

import lucid


@pytest.fixture
def rng():
    """A seeded NumPy generator; lucid's own generator is seeded too."""
    lucid.manual_seed(0)
    return np.random.default_rng(0)

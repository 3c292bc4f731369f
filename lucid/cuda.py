"""``torch.cuda`` as model scripts query it: lucid runs on the CPU, so no CUDA device is available.

``device = torch.device("cuda" if torch.cuda.is_available() else "cpu")`` picks ``"cpu"``.
"""


def is_available():
    """False: lucid has no GPU backend (yet)."""
    return False


def device_count():
    """0: no CUDA device."""
    return 0


def manual_seed(seed):
    """Nothing to seed without a CUDA device (PyTorch ignores it likewise)."""


def manual_seed_all(seed):
    """Nothing to seed without a CUDA device (PyTorch ignores it likewise)."""


def synchronize(device=None):
    """Nothing to wait for: every lucid op has finished when it returns."""


def empty_cache():
    """Nothing to free: lucid keeps no device memory pool."""

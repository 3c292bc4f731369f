"""Load a PyTorch-style model file with torch or, with its import lines rewritten, with lucid.

The rewrite touches import lines only, and only their ``torch`` root:

- ``import torch`` becomes ``import lucid as torch``;
- ``import torch.nn as nn`` becomes ``import lucid.nn as nn`` (any ``import torch.X as Y``);
- ``from torch.X import Y`` becomes ``from lucid.X import Y``.

Everything else in the file runs exactly as written. ``MODELS`` lists the ports under test and
their small configurations; the fixture script and the tests share it.
"""

import pathlib
import re
import types

import numpy as np

MODEL_DIR = pathlib.Path(__file__).parent / "models"

_IMPORT_ROOT = re.compile(r"^(\s*)import torch(\s*(#.*)?)$")
_IMPORT_AS = re.compile(r"^(\s*)import torch\.([\w.]+) as (\w+)(\s*(#.*)?)$")
_FROM = re.compile(r"^(\s*)from torch(\.[\w.]+)? import (.*)$")


def rewrite_imports(source):
    """``source`` with every torch import turned into the same lucid import (nothing else changes)."""
    lines = []
    for number, line in enumerate(source.splitlines(keepends=True), 1):
        body, newline = (line[:-1], "\n") if line.endswith("\n") else (line, "")
        if re.match(r"^\s*(import|from)\s+torch\b", body):
            if _IMPORT_ROOT.match(body):
                body = _IMPORT_ROOT.sub(r"\1import lucid as torch\2", body)
            elif _IMPORT_AS.match(body):
                body = _IMPORT_AS.sub(r"\1import lucid.\2 as \3\4", body)
            elif _FROM.match(body):
                body = _FROM.sub(r"\1from lucid\2 import \3", body)
            else:
                raise ValueError(f"line {number}: cannot rewrite this torch import: {body!r}")
        lines.append(body + newline)
    return "".join(lines)


def load_model_file(name, backend):
    """The module object of ``models/<name>.py`` executed with ``backend`` ('torch' or 'lucid')."""
    if backend not in ("torch", "lucid"):
        raise ValueError(f"backend must be 'torch' or 'lucid', got {backend!r}")
    path = MODEL_DIR / f"{name}.py"
    source = path.read_text()
    if backend == "lucid":
        source = rewrite_imports(source)
    module = types.ModuleType(f"ports_{name}_{backend}")
    module.__file__ = str(path)
    exec(compile(source, str(path), "exec"), module.__dict__)
    return module


# name: (model file, class name, constructor kwargs, input shape)
MODELS = {
    "hifigan_v1": ("hifigan", "Generator", {"in_channels": 8, "upsample_initial_channel": 16}, (1, 8, 5)),
    "hifigan_v3_resblock2": ("hifigan", "Generator",
                             {"in_channels": 8, "upsample_initial_channel": 16, "upsample_rates": (8, 8, 4),
                              "upsample_kernel_sizes": (16, 16, 8), "resblock": "2",
                              "resblock_kernel_sizes": (3, 5, 7), "resblock_dilation_sizes": ((1, 2), (2, 6), (3, 12))},
                             (2, 8, 3)),
    "melgan": ("melgan", "Generator", {"input_size": 8, "ngf": 1}, (1, 8, 5)),
    "seanet_decoder": ("seanet", "SEANetDecoder", {"dimension": 16, "n_filters": 2}, (1, 16, 4)),
    "seanet_decoder_causal": ("seanet", "SEANetDecoder",
                              {"dimension": 8, "n_filters": 4, "ratios": (4, 2), "causal": True, "pad_mode": "constant",
                               "lstm": 1, "true_skip": True}, (2, 8, 6)),
    "wavegan": ("wavegan", "Generator", {"latent_dim": 16, "model_size": 1}, (1, 16)),
}


def build(name, backend):
    """A fresh instance of the ``MODELS`` entry ``name`` built with ``backend``."""
    file, cls, kwargs, _ = MODELS[name]
    return getattr(load_model_file(file, backend), cls)(**kwargs)


def example_input(name, seed=0):
    """The float32 input the fixtures use for ``name``."""
    shape = MODELS[name][3]
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def output_weight(shape, seed=1):
    """The fixed weight w of the train-mode loss sum(output · w) (regenerated, not stored)."""
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)

"""Variable-length batches for recurrent layers: padding and PyTorch's packed layout.

A ``PackedSequence`` holds the steps of sequences sorted by decreasing length, time-major:
``data[sum(batch_sizes[:t]) : sum(batch_sizes[:t + 1])]`` are step ``t`` of the
``batch_sizes[t]`` sequences still running. ``sorted_indices[i]`` is the original batch index of
sorted sequence ``i``; ``unsorted_indices`` inverts it.
"""

from collections import namedtuple

import numpy as np

from ...functions import cat, stack
from ...tensor import Tensor


class PackedSequence(namedtuple("PackedSequence", ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])):
    """Sequences of different lengths packed time-major (see the module docstring).

    Build one with ``pack_padded_sequence`` or ``pack_sequence``; recurrent layers take it as input
    and return their output in the same layout.
    """

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None and sorted_indices is not None:
            unsorted_indices = _invert(sorted_indices)
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def _lengths(self):
        """Length of each sorted sequence, as a NumPy int64 array."""
        sizes = np.asarray(self.batch_sizes._array)
        return (sizes[None, :] > np.arange(int(sizes[0]))[:, None]).sum(1).astype(np.int64)

    def to(self, *args, **kwargs):
        return self._replace(data=self.data.to(*args, **kwargs))


def _invert(indices):
    array = np.asarray(indices._array if isinstance(indices, Tensor) else indices)
    inverse = np.empty_like(array)
    inverse[array] = np.arange(array.size)
    return Tensor(inverse)


def _lengths_array(lengths):
    array = np.asarray(lengths._array if isinstance(lengths, Tensor) else lengths)
    if array.ndim != 1 or (array.size and array.dtype.kind not in "iu"):
        raise TypeError(f"lengths must be a 1-D sequence of ints, got {array.dtype} values of shape {array.shape}")
    return array.astype(np.int64)


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Stack ``(L_i, *)`` tensors into ``(L_max, B, *)`` (or ``(B, L_max, *)``), padding with ``padding_value``.

    Parameters
    ----------
    sequences : sequence of Tensor
    batch_first : bool, optional
    padding_value : float, optional
    padding_side : {'right', 'left'}, optional
    """
    sequences = list(sequences)
    if not sequences or not all(isinstance(s, Tensor) for s in sequences):
        raise TypeError("pad_sequence expects a non-empty sequence of Tensors")
    if padding_side not in ("right", "left"):
        raise ValueError(f"padding_side must be 'right' or 'left', got {padding_side!r}")
    trailing = sequences[0].shape[1:]
    for i, s in enumerate(sequences):
        if s.ndim == 0 or s.shape[1:] != trailing:
            raise ValueError(f"pad_sequence: every sequence must have shape (L, *{trailing}), "
                             f"sequence {i} has shape {s.shape}")
    longest = max(s.shape[0] for s in sequences)
    padded = []
    for s in sequences:
        missing = longest - s.shape[0]
        if missing:
            fill = Tensor._from_array(np.full((missing, *trailing), padding_value, s._array.dtype), s.device)
            s = cat([s, fill] if padding_side == "right" else [fill, s], 0)
        padded.append(s)
    return stack(padded, 0 if batch_first else 1)


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Pack a padded batch ``(L, B, *)`` (or ``(B, L, *)``) whose sequence ``b`` has ``lengths[b]`` valid steps.

    Parameters
    ----------
    input : Tensor
    lengths : sequence of int or Tensor
    batch_first : bool, optional
    enforce_sorted : bool, optional
        When True the lengths must already decrease; otherwise the batch is sorted (stably) and
        the order is recorded in ``sorted_indices``.

    Returns
    -------
    PackedSequence
    """
    if not isinstance(input, Tensor) or input.ndim < 2:
        raise ValueError(f"pack_padded_sequence: input must be a Tensor of at least 2 dims, got {input!r:.60}")
    lengths = _lengths_array(lengths)
    x = input.transpose(0, 1) if batch_first else input
    steps, batch = x.shape[0], x.shape[1]
    if lengths.size != batch:
        raise ValueError(f"pack_padded_sequence: expected {batch} lengths (one per sequence), got {lengths.size}")
    if lengths.size and (lengths.min() <= 0 or lengths.max() > steps):
        raise ValueError(f"pack_padded_sequence: every length must be in [1, {steps}], got {lengths.tolist()}")
    if enforce_sorted:
        if np.any(np.diff(lengths) > 0):
            raise RuntimeError(f"pack_padded_sequence: lengths must be sorted in decreasing order when "
                               f"enforce_sorted=True, got {lengths.tolist()}")
        sorted_indices = None
    else:
        order = np.argsort(-lengths, kind="stable")
        sorted_indices = Tensor(order.astype(np.int64))
        x, lengths = x[:, order], lengths[order]
    batch_sizes = (lengths[None, :] > np.arange(int(lengths[0]))[:, None]).sum(1).astype(np.int64)
    data = cat([x[t, : int(size)] for t, size in enumerate(batch_sizes)], 0)
    return PackedSequence(data, Tensor(batch_sizes), sorted_indices)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """Undo ``pack_padded_sequence``: returns ``(padded, lengths)`` in the original batch order.

    Parameters
    ----------
    sequence : PackedSequence
    batch_first : bool, optional
    padding_value : float, optional
    total_length : int, optional
        Pad to this many steps (at least the longest length).
    """
    if not isinstance(sequence, PackedSequence):
        raise TypeError(f"pad_packed_sequence expects a PackedSequence, got {type(sequence).__name__}")
    padded, lengths = _padded(sequence, padding_value, total_length)
    if sequence.unsorted_indices is not None:
        order = np.asarray(sequence.unsorted_indices._array)
        padded, lengths = padded[:, order], lengths[order]
    return (padded.transpose(0, 1) if batch_first else padded), Tensor(lengths)


def _padded(sequence, padding_value=0.0, total_length=None):
    """The time-major padded batch of ``sequence`` in its sorted order, and the sorted lengths."""
    data, sizes = sequence.data, np.asarray(sequence.batch_sizes._array)
    lengths = sequence._lengths()
    steps = len(sizes) if total_length is None else total_length
    if steps < len(sizes):
        raise ValueError(f"pad_packed_sequence: total_length={total_length} is shorter than the longest sequence "
                         f"({len(sizes)} steps)")
    batch, trailing, start, rows = int(sizes[0]), data.shape[1:], 0, []
    for t in range(steps):
        size = int(sizes[t]) if t < len(sizes) else 0
        row = data[start : start + size]
        start += size
        if size < batch:
            fill = np.full((batch - size, *trailing), padding_value, data._array.dtype)
            row = cat([row, Tensor._from_array(fill, data.device)], 0)
        rows.append(row)
    return stack(rows, 0), lengths


def pack_sequence(sequences, enforce_sorted=True):
    """Pack a list of ``(L_i, *)`` tensors: ``pack_padded_sequence(pad_sequence(sequences), lengths)``."""
    sequences = list(sequences)
    lengths = [s.shape[0] if isinstance(s, Tensor) and s.ndim else 0 for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences):
    """The list of ``(L_i, *)`` tensors packed in ``packed_sequences``, in the original order."""
    padded, lengths = pad_packed_sequence(packed_sequences)
    return [padded[: int(n), b] for b, n in enumerate(lengths.tolist())]


def _pack_time_major(padded, sequence):
    """Pack a time-major padded output (sorted order) into ``sequence``'s layout."""
    sizes = np.asarray(sequence.batch_sizes._array)
    data = cat([padded[t, : int(size)] for t, size in enumerate(sizes)], 0)
    return sequence._replace(data=data)

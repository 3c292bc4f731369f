"""A bounded cache of rearranged weights, keyed on the weight's owner, its version and the leaf.

Inference calls a layer with the same weight thousands of times; a leaf that rearranges the
weight (the polyphase layout, per-tap slabs, the gather kernels' transposed weight) would redo
that on every call. The caller (lucid/ops/conv.py) passes the parameter as ``owner`` with its
version counter, which every in-place change bumps, so an entry is rebuilt only after an
optimizer step or another in-place write. Entries are dropped when their owner is garbage
collected (a weakref callback), and the least recently used ones go once the cache holds more
than ``tuning.WEIGHT_CACHE_BYTES``.
"""

import collections
import threading
import weakref

from . import tuning

_entries = collections.OrderedDict()  # (id(owner), op, leaf, geometry) -> (version, array)
_finalizers = {}
_lock = threading.RLock()  # re-entrant: a garbage collection inside a locked section may run _drop_owner
_bytes = [0]


def _drop_owner(key_id):
    with _lock:
        for key in [key for key in _entries if key[0] == key_id]:
            _bytes[0] -= _entries.pop(key)[1].nbytes
        _finalizers.pop(key_id, None)


def prepared(owner, version, op, leaf, geometry, build):
    """``build()``'s result, reused while ``owner`` keeps ``version``; ``owner`` None: no caching."""
    if owner is None or version is None:
        return build()
    key = (id(owner), op, leaf, geometry)
    with _lock:
        entry = _entries.get(key)
        if entry is not None and entry[0] == version:
            _entries.move_to_end(key)
            return entry[1]
    array = build()
    if array.nbytes > tuning.WEIGHT_CACHE_BYTES:
        return array
    if getattr(array, "base", None) is not None:
        # a layout that needed no copy is a view of the weight: kept, it would keep an owner that is
        # the weight array itself alive, and its entry would never be dropped
        array = array.copy()
    with _lock:
        old = _entries.pop(key, None)
        if old is not None:
            _bytes[0] -= old[1].nbytes
        _entries[key] = (version, array)
        _bytes[0] += array.nbytes
        if id(owner) not in _finalizers:
            _finalizers[id(owner)] = weakref.finalize(owner, _drop_owner, id(owner))
        while _bytes[0] > tuning.WEIGHT_CACHE_BYTES and len(_entries) > 1:
            _, (_, evicted) = _entries.popitem(last=False)
            _bytes[0] -= evicted.nbytes
    return array


def clear():
    """Drop every cached weight."""
    with _lock:
        dropped = list(_entries.values())
        _entries.clear()
        _bytes[0] = 0
    del dropped  # owners freed with their entries run _drop_owner now, on an empty cache, not mid-clear


def cached_bytes():
    return _bytes[0]

"""Reading PyTorch checkpoints (``torch.save`` files) without torch and without running their code.

Two layouts exist. The zip layout (PyTorch 1.6 and later) is an uncompressed zip archive
``<prefix>/data.pkl`` (the object pickle), ``<prefix>/data/<key>`` (one raw storage per
key, in the byte order of the ``<prefix>/byteorder`` record, little endian when absent) and
a few version records. The legacy layout is a stream of pickles: a magic number, a protocol
version, a dict of system information, the object pickle, the list of storage keys, then
per key a little-endian int64 element count and the storage's bytes (torch writes these in
little endian on every machine).

In both, tensors are pickled as calls of ``torch._utils`` rebuild functions whose first
argument is a *persistent id* naming a storage. The unpickler below resolves globals only
from a fixed allowlist, and each allowlisted global is replaced by an inert stand-in
(``_Global``): calling one records what the file asked for (a ``_TensorRecord``,
a ``_StorageRecord``), it never imports or calls anything the file names. Only when the
whole file has been read and checked are the records turned into lucid Tensors, so a failure
never returns a half-built result.
"""

import io
import pickle
import pickletools
import struct
import zipfile
from collections import Counter, OrderedDict

import numpy as np

from . import backend
from .dtypes import bool_, float16, float32, float64, int8, int16, int32, int64, uint8
from .nn.parameter import Parameter
from .tensor import Size, Tensor

_MAGIC_NUMBER = 0x1950A86A20F9469CFC6C
_PROTOCOL_VERSION = 1001
_ZIP_SIGNATURE = b"PK\x03\x04"

# torch's legacy storage classes and the element type each holds (the type name NumPy knows,
# except "bfloat16", which NumPy lacks and which is widened to float32 on load).
_STORAGE_ELEMENTS = {
    "DoubleStorage": "float64", "FloatStorage": "float32", "HalfStorage": "float16", "BFloat16Storage": "bfloat16",
    "LongStorage": "int64", "IntStorage": "int32", "ShortStorage": "int16", "CharStorage": "int8",
    "ByteStorage": "uint8", "BoolStorage": "bool",
}
_UNSUPPORTED_STORAGES = ("ComplexDoubleStorage", "ComplexFloatStorage", "QInt8Storage", "QInt32Storage",
                         "QUInt8Storage", "QUInt4x2Storage", "QUInt2x4Storage")
# torch dtypes (pickled as the global ``torch.<name>``) whose tensors lucid can hold
_DTYPE_ELEMENTS = {name: name for name in ("float64", "float32", "float16", "bfloat16", "int64", "int32", "int16",
                                           "int8", "uint8", "bool", "uint16", "uint32", "uint64")}
# other torch dtype names: admitted as inert values (a config may name one), refused as a tensor's dtype
_OTHER_DTYPES = ("complex32", "complex64", "complex128", "float8_e4m3fn", "float8_e4m3fnuz", "float8_e5m2",
                 "float8_e5m2fnuz", "float8_e8m0fnu", "float4_e2m1fn_x2", "qint8", "quint8", "qint32", "quint4x2",
                 "quint2x4", "bits1x8", "bits2x4", "bits4x2", "bits8", "bits16",
                 *(f"int{n}" for n in range(1, 8)), *(f"uint{n}" for n in range(1, 8)))
_LUCID_DTYPES = {"float64": float64, "float32": float32, "bfloat16": float32, "float16": float16, "int64": int64,
                 "int32": int32, "int16": int16, "int8": int8, "uint8": uint8, "bool": bool_}


class _FileProblem(Exception):
    """A problem with the file's content; the loader adds the file's name and raises ValueError."""


# ----------------------------------------------------------------------- the allowlist
def _allowlist():
    """Qualified global name -> (kind, value) for every global a weights file may name."""
    table = {
        "collections.OrderedDict": ("ordered_dict", None),
        "collections.Counter": ("counter", None),
        "torch.Size": ("size", None),
        "torch.device": ("device", None),
        "torch.Tensor": ("tensor_type", "Tensor"),
        "torch.nn.parameter.Parameter": ("tensor_type", "Parameter"),
        "torch.serialization._get_layout": ("get_layout", None),
        "torch._utils._rebuild_tensor": ("rebuild_tensor", None),
        "torch._utils._rebuild_tensor_v2": ("rebuild_tensor_v2", None),
        "torch._utils._rebuild_tensor_v3": ("rebuild_tensor_v3", None),
        "torch._utils._rebuild_parameter": ("rebuild_parameter", None),
        "torch._utils._rebuild_parameter_with_state": ("rebuild_parameter", None),
        "torch._tensor._rebuild_from_type_v2": ("rebuild_from_type_v2", None),
        "_codecs.encode": ("encode", None),
        "builtins.bytearray": ("bytearray", None),
        "builtins.set": ("set", None),
        "builtins.complex": ("complex", None),
        "torch.storage.UntypedStorage": ("storage_type", "uint8"),
    }
    for storage, element in _STORAGE_ELEMENTS.items():  # old files name a GPU storage's class
        table[f"torch.{storage}"] = table[f"torch.cuda.{storage}"] = ("storage_type", element)
    for name in (*_DTYPE_ELEMENTS, *_OTHER_DTYPES):
        table[f"torch.{name}"] = ("dtype", name)
    return table


_ALLOWED = _allowlist()
# globals torch's own weights-only loader admits for tensors lucid cannot represent
_TENSOR_TYPES = ("BFloat16", "Bool", "Byte", "Char", "Double", "Float", "Half", "Int", "Long", "Short")
_UNSUPPORTED = {
    **{f"torch.{name}": "complex or quantized storages" for name in _UNSUPPORTED_STORAGES},
    **{f"torch.cuda.{name}": "complex storages" for name in _UNSUPPORTED_STORAGES[:2]},
    **{f"torch{device}.{kind}Tensor": "legacy tensor-type objects" for kind in _TENSOR_TYPES for device in ("", ".cuda")},
    **{f"torch{device}.sparse.{kind}Tensor": "sparse tensors" for kind in _TENSOR_TYPES for device in ("", ".cuda")},
    "torch.storage.TypedStorage": "bare TypedStorage objects",
    "torch._utils._rebuild_qtensor": "quantized tensors",
    "torch._utils._rebuild_sparse_tensor": "sparse tensors",
    "torch._utils._rebuild_nested_tensor": "nested tensors",
    "torch._utils._rebuild_wrapper_subclass": "tensor subclasses",
    "torch._utils._rebuild_meta_tensor_no_storage": "meta tensors without storage",
    "torch._utils._rebuild_device_tensor_from_numpy": "tensors pickled as NumPy arrays",
    "torch._utils._rebuild_device_tensor_from_cpu_tensor": "device tensors pickled via a CPU copy",
    **{f"torch.{scheme}": "quantized tensors" for scheme in (
        "per_tensor_affine", "per_tensor_symmetric", "per_channel_affine", "per_channel_symmetric",
        "per_channel_affine_float_qparams")},
}


class _Inert:
    """Base of every object the unpickler builds on the file's behalf: the pickle ``BUILD``
    opcode (which would set attributes) is refused, so a file cannot alter these objects."""

    __slots__ = ()

    def __setstate__(self, state):
        raise _FileProblem(f"the pickle tries to set the state of {self!r}, which a weights file never does")


class _Global(_Inert):
    """The stand-in for one allowlisted global; created afresh each time the file names it."""

    __slots__ = ("qualified_name", "kind", "value")

    def __init__(self, qualified_name, kind, value):
        self.qualified_name = qualified_name
        self.kind = kind
        self.value = value

    def __repr__(self):
        return self.qualified_name

    def __call__(self, *args):
        builder = _BUILDERS.get(self.kind)
        if builder is None:
            raise _FileProblem(f"the pickle calls {self.qualified_name}, which is not callable in a weights file")
        return builder(self, args)


class _StorageRecord(_Inert):
    """A storage named by a persistent id; ``raw`` holds its bytes once read."""

    __slots__ = ("key", "element", "numel", "location", "byteorder", "raw", "root", "start", "_decoded")

    def __init__(self, key, element, numel, location, byteorder, root=None, start=0):
        self.key, self.element, self.numel, self.location = key, element, numel, location
        self.byteorder, self.root, self.start = byteorder, root, start
        self.raw = None
        self._decoded = {}

    def __repr__(self):
        return f"storage {self.key!r}"

    def elements(self, element):
        """The storage as a 1-d native-order array of ``element`` values (decoded once per type)."""
        if self.root is not None:
            whole = self.root.elements(element)
            return whole[self.start : self.start + self.numel]
        if element not in self._decoded:
            self._decoded[element] = _decode(self.raw, element, self.byteorder, self.key)
        return self._decoded[element]


class _TensorRecord(_Inert):
    __slots__ = ("storage", "offset", "size", "stride", "requires_grad", "element", "parameter")

    def __init__(self, storage, offset, size, stride, requires_grad, element, parameter=False):
        self.storage, self.offset, self.size, self.stride = storage, offset, size, stride
        self.requires_grad, self.element, self.parameter = requires_grad, element, parameter

    def __repr__(self):
        return f"tensor of size {self.size}"


class _DeviceRecord(_Inert):
    __slots__ = ("type", "index")

    def __init__(self, type, index):
        self.type, self.index = type, index

    def __repr__(self):
        return f"device {self.type!r}"


# ----------------------------------------------------------------------- builders
def _expect_args(stand_in, args, counts):
    if len(args) not in counts:
        expected = " or ".join(str(count) for count in counts)
        raise _FileProblem(f"{stand_in.qualified_name} takes {expected} arguments, the pickle passes {len(args)}")


def _int_tuple(value, what):
    if isinstance(value, list):
        value = tuple(value)
    if not isinstance(value, tuple) or not all(type(item) is int and item >= 0 for item in value):
        raise _FileProblem(f"a tensor's {what} must be a tuple of non-negative ints, got {value!r:.80}")
    return value


def _tensor_record(stand_in, storage, offset, size, stride, requires_grad, element=None):
    if not isinstance(storage, _StorageRecord):
        raise _FileProblem(f"{stand_in.qualified_name} expects a storage, got {type(storage).__name__}")
    if type(offset) is not int or offset < 0:
        raise _FileProblem(f"a tensor's storage offset must be a non-negative int, got {offset!r:.80}")
    size, stride = _int_tuple(size, "size"), _int_tuple(stride, "stride")
    if len(size) != len(stride):
        raise _FileProblem(f"a tensor's size {size} and stride {stride} have different lengths")
    if len(size) > 32:
        raise _FileProblem(f"a tensor with {len(size)} dimensions is more than lucid supports (32)")
    if type(requires_grad) is not bool:
        raise _FileProblem(f"a tensor's requires_grad must be a bool, got {requires_grad!r:.80}")
    return _TensorRecord(storage, offset, size, stride, requires_grad, element or storage.element)


def _build_tensor(stand_in, args):
    _expect_args(stand_in, args, (4,))
    return _tensor_record(stand_in, *args, False)


def _build_tensor_v2(stand_in, args):
    # (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata]); hooks
    # can only hold allowlisted values here, and metadata (Python-side tensor flags) is dropped
    _expect_args(stand_in, args, (6, 7))
    return _tensor_record(stand_in, *args[:5])


def _build_tensor_v3(stand_in, args):
    # as v2 plus the dtype, for dtypes torch stores in an untyped (byte) storage
    _expect_args(stand_in, args, (7, 8))
    dtype = args[6]
    if not (isinstance(dtype, _Global) and dtype.kind == "dtype"):
        raise _FileProblem(f"{stand_in.qualified_name} expects a torch dtype, got {dtype!r:.80}")
    if dtype.value not in _DTYPE_ELEMENTS:
        raise _FileProblem(f"tensors of dtype torch.{dtype.value} are not supported by lucid")
    storage = args[0]
    if isinstance(storage, _StorageRecord) and storage.element != "uint8":
        raise _FileProblem(f"{stand_in.qualified_name} expects an untyped storage, got one of {storage.element}")
    return _tensor_record(stand_in, *args[:5], _DTYPE_ELEMENTS[dtype.value])


def _build_parameter(stand_in, args):
    # (data, requires_grad, backward_hooks[, state]); Python attributes in ``state`` are dropped
    _expect_args(stand_in, args, (3, 4))
    data, requires_grad = args[0], args[1]
    if not isinstance(data, _TensorRecord) or type(requires_grad) is not bool:
        raise _FileProblem(f"{stand_in.qualified_name} expects a tensor and a bool, got "
                           f"{type(data).__name__} and {requires_grad!r:.80}")
    return _TensorRecord(data.storage, data.offset, data.size, data.stride, requires_grad, data.element, True)


def _build_from_type(stand_in, args):
    # (rebuild function, tensor type, its arguments, Python attributes to set: dropped)
    _expect_args(stand_in, args, (4,))
    function, tensor_type, function_args = args[0], args[1], args[2]
    if not (isinstance(function, _Global) and function.kind.startswith("rebuild_tensor")):
        raise _FileProblem(f"{stand_in.qualified_name} expects a tensor rebuild function, got {function!r:.80}")
    if not (isinstance(tensor_type, _Global) and tensor_type.kind == "tensor_type"):
        raise _FileProblem(f"{stand_in.qualified_name} expects torch.Tensor or a Parameter, got {tensor_type!r:.80}")
    if not isinstance(function_args, tuple):
        raise _FileProblem(f"{stand_in.qualified_name} expects an argument tuple, got {function_args!r:.80}")
    record = function(*function_args)
    record.parameter = tensor_type.value == "Parameter"
    return record


def _build_ordered_dict(stand_in, args):
    _expect_args(stand_in, args, (0,))  # items arrive through SETITEMS afterwards
    return OrderedDict()


def _build_counter(stand_in, args):
    _expect_args(stand_in, args, (0, 1))
    if args and not isinstance(args[0], dict):
        raise _FileProblem(f"collections.Counter expects a dict, got {type(args[0]).__name__}")
    return Counter(*args)


def _build_size(stand_in, args):
    _expect_args(stand_in, args, (1,))
    return Size(_int_tuple(args[0], "size"))


def _build_device(stand_in, args):
    _expect_args(stand_in, args, (1, 2))
    kind = args[0]
    index = args[1] if len(args) == 2 else None
    if not isinstance(kind, str) or not (index is None or type(index) is int):
        raise _FileProblem(f"torch.device expects a string and an optional int, got {args!r:.80}")
    if index is None and ":" in kind:
        kind, _, text = kind.partition(":")
        if not text.isdigit():
            raise _FileProblem(f"torch.device got a malformed device string {args[0]!r:.80}")
        index = int(text)
    return _DeviceRecord(kind, index)


def _build_layout(stand_in, args):
    _expect_args(stand_in, args, (1,))
    if not isinstance(args[0], str):
        raise _FileProblem(f"torch.serialization._get_layout expects a string, got {args[0]!r:.80}")
    return args[0]


def _build_bytes(stand_in, args):
    # protocol-2 pickles spell a bytes object as _codecs.encode(text, "latin1")
    _expect_args(stand_in, args, (1, 2))
    if len(args) == 1:
        args = (args[0], "utf-8")
    text, encoding = args
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1", "utf-8", "utf8"):
        raise _FileProblem(f"_codecs.encode is admitted for text with latin1 or utf-8 only, got {args!r:.80}")
    return text.encode(encoding)


def _build_bytearray(stand_in, args):
    _expect_args(stand_in, args, (0, 1, 2))
    if len(args) == 2:
        return bytearray(_build_bytes(stand_in, args))
    if args and not isinstance(args[0], (bytes, bytearray)):
        raise _FileProblem(f"builtins.bytearray is admitted for bytes only, got {type(args[0]).__name__}")
    return bytearray(*args)


def _build_set(stand_in, args):
    _expect_args(stand_in, args, (0, 1))
    if args and not isinstance(args[0], (list, tuple)):
        raise _FileProblem(f"builtins.set is admitted for a list only, got {type(args[0]).__name__}")
    return set(*args)


def _build_complex(stand_in, args):
    _expect_args(stand_in, args, (1, 2))
    if not all(type(part) in (int, float) for part in args):
        raise _FileProblem(f"builtins.complex is admitted for numbers only, got {args!r:.80}")
    return complex(*args)


_BUILDERS = {
    "rebuild_tensor": _build_tensor, "rebuild_tensor_v2": _build_tensor_v2, "rebuild_tensor_v3": _build_tensor_v3,
    "rebuild_parameter": _build_parameter, "rebuild_from_type_v2": _build_from_type,
    "ordered_dict": _build_ordered_dict, "counter": _build_counter, "size": _build_size, "device": _build_device,
    "get_layout": _build_layout, "encode": _build_bytes, "bytearray": _build_bytearray, "set": _build_set,
    "complex": _build_complex,
}


# ----------------------------------------------------------------------- the unpickler
class _RestrictedUnpickler(pickle.Unpickler):
    """Resolves globals from the allowlist only, to fresh stand-ins; storages through ``storage``."""

    def __init__(self, stream, storage=None):
        super().__init__(stream, encoding="utf-8")
        self._storage = storage

    def find_class(self, module, name):
        qualified = f"{module}.{name}"
        if qualified in _ALLOWED:
            return _Global(qualified, *_ALLOWED[qualified])
        if qualified in _UNSUPPORTED:
            raise _FileProblem(f"the checkpoint holds {_UNSUPPORTED[qualified]} (it names {qualified}), "
                               "which lucid does not support")
        raise _FileProblem(f"refusing the global {qualified!r:.120}: it is not on lucid's allowlist of the "
                           "globals a weights file needs, and loading it could run code")

    def persistent_load(self, pid):
        if self._storage is None:
            raise _FileProblem("a persistent id appears in a pickle that should hold plain data")
        return self._storage(pid)


def _unpickle(data, storage=None):
    """Load one pickle from ``data`` (bytes, or a BytesIO positioned at its start)."""
    stream = io.BytesIO(data) if isinstance(data, bytes) else data
    start = stream.tell()
    _prescan(stream)
    stream.seek(start)
    return _RestrictedUnpickler(stream, storage).load()


def _prescan(stream):
    """Walk the pickle's opcodes without building anything, refusing what would exhaust memory.

    Python's C unpickler sizes its memo by the largest index a ``PUT`` names (a 5-byte opcode
    can ask for gigabytes of memo) and allocates a ``BINBYTES8`` argument before reading it;
    ``pickletools.genops`` reads each argument with bounds checks, so a malformed pickle fails
    here, in linear time. A real pickle numbers its memo entries from 0, fewer than its bytes.
    """
    start, largest = stream.tell(), -1
    for opcode, argument, _ in pickletools.genops(stream):
        if opcode.name in ("PUT", "BINPUT", "LONG_BINPUT"):
            largest = max(largest, argument)
    if largest >= stream.tell() - start:
        raise _FileProblem(f"the pickle names memo entry {largest}, more than its {stream.tell() - start} bytes hold")


def _storage_id(pid, lengths):
    """Check a persistent id ``('storage', storage type, key, location, numel, ...)``."""
    if not (isinstance(pid, tuple) and len(pid) == lengths and pid[0] in ("storage", b"storage")):
        raise _FileProblem(f"unrecognised persistent id {pid!r:.120} (expected a storage reference)")
    storage_type, key, location, numel = pid[1:5]
    if not (isinstance(storage_type, _Global) and storage_type.kind == "storage_type"):
        raise _FileProblem(f"persistent id {pid!r:.120} does not name a storage type")
    if isinstance(location, bytes):
        location = location.decode("ascii", "replace")
    if not isinstance(key, str) or not isinstance(location, str) or type(numel) is not int or numel < 0:
        raise _FileProblem(f"malformed storage reference {pid!r:.120}")
    return storage_type.value, key, location, numel


# ----------------------------------------------------------------------- the two layouts
def _read_zip(data):
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except Exception as error:  # zipfile raises BadZipFile, but also ValueError, struct.error, ...
        raise _FileProblem(f"it is not a readable zip archive (truncated or corrupt?): {error}") from error
    names = [member.filename for member in members]
    pickles = [name for name in names if name.count("/") == 1 and name.endswith("/data.pkl")]
    if not pickles:
        if any(name.endswith("/constants.pkl") for name in names):
            raise _FileProblem("it is a TorchScript archive (torch.jit.save), not a torch.save checkpoint")
        raise _FileProblem("the archive has no <prefix>/data.pkl record: truncated, or not a torch.save file")
    if len(set(pickles)) > 1:
        raise _FileProblem(f"the archive holds several data.pkl records: {sorted(set(pickles))}")
    prefix = pickles[0][: -len("data.pkl")]
    by_name = {member.filename: member for member in members}

    def record(name):
        member = by_name[name]
        # torch stores every record uncompressed; refusing compression bounds memory by the file's size
        if member.compress_type != zipfile.ZIP_STORED or member.file_size != member.compress_size:
            raise _FileProblem(f"record {name!r} is compressed, which torch.save never writes")
        try:
            return archive.read(member)
        except Exception as error:
            raise _FileProblem(f"record {name!r} cannot be read (truncated or corrupt?): {error}") from error

    byteorder = "little"
    if prefix + "byteorder" in by_name:
        byteorder = record(prefix + "byteorder").decode("ascii", "replace")
        if byteorder not in ("little", "big"):
            raise _FileProblem(f"unknown byte order record {byteorder!r:.40} (expected 'little' or 'big')")
    storages = {}

    def storage(pid):
        element, key, location, numel = _storage_id(pid, 5)
        if key not in storages:
            name = f"{prefix}data/{key}"
            if name not in by_name:
                raise _FileProblem(f"the archive has no record {name!r} for storage {key!r}")
            found = _StorageRecord(key, element, numel, location, byteorder)
            found.raw = record(name)
            _check_length(found, len(found.raw))
            storages[key] = found
        elif (storages[key].element, storages[key].numel) != (element, numel):
            raise _FileProblem(f"storage {key!r} is referenced with two element types or sizes")
        return storages[key]

    result = _unpickle(record(pickles[0]), storage)
    return result, list(storages.values())


def _read_legacy(data):
    stream = io.BytesIO(data)
    magic = _unpickle(stream)
    if type(magic) is not int or magic != _MAGIC_NUMBER:
        raise _FileProblem("it does not start with torch's magic number: not a PyTorch checkpoint, or corrupt")
    version = _unpickle(stream)
    if version != _PROTOCOL_VERSION:
        raise _FileProblem(f"unsupported legacy protocol version {version!r:.40} (expected {_PROTOCOL_VERSION})")
    if not isinstance(_unpickle(stream), dict):  # sys info; torch writes storages little endian regardless
        raise _FileProblem("the system information record is not a dict")
    roots, views = {}, {}

    def storage(pid):
        element, key, location, numel = _storage_id(pid, 6)
        view = pid[5]
        if key not in roots:
            roots[key] = _StorageRecord(key, element, numel, location, "little")
        root = roots[key]
        if (root.element, root.numel) != (element, numel):
            raise _FileProblem(f"storage {key!r} is referenced with two element types or sizes")
        if view is None:
            return root
        # very old files: a storage view (view key, offset, numel) into the root storage
        if not (isinstance(view, tuple) and len(view) == 3 and isinstance(view[0], str)
                and all(type(item) is int and item >= 0 for item in view[1:])):
            raise _FileProblem(f"malformed storage view {view!r:.80}")
        view_key, start, view_numel = view
        if start + view_numel > numel:
            raise _FileProblem(f"storage view {view_key!r} reaches past the end of storage {key!r}")
        if view_key not in views:
            views[view_key] = _StorageRecord(view_key, element, view_numel, location, "little", root, start)
        return views[view_key]

    result = _unpickle(stream, storage)
    keys = _unpickle(stream)
    if not (isinstance(keys, list) and all(isinstance(key, str) for key in keys)):
        raise _FileProblem("the storage key list is malformed")
    for key in keys:
        if key not in roots:
            raise _FileProblem(f"the storage list names {key!r}, which no tensor references")
        found = roots[key]
        header = stream.read(8)
        if len(header) < 8:
            raise _FileProblem(f"the file ends before storage {key!r} (truncated?)")
        (count,) = struct.unpack("<q", header)
        itemsize = _itemsize(found.element)
        if count != found.numel:
            raise _FileProblem(f"storage {key!r} is declared with {found.numel} elements but holds {count}")
        found.raw = stream.read(count * itemsize)
        _check_length(found, len(found.raw))
    missing = [key for key, found in roots.items() if found.raw is None]
    if missing:
        raise _FileProblem(f"no data for storage(s) {missing[:5]} (truncated?)")
    return result, list(roots.values())


def _itemsize(element):
    return 2 if element == "bfloat16" else np.dtype(element).itemsize


def _check_length(storage, length):
    expected = storage.numel * _itemsize(storage.element)
    if length != expected:
        raise _FileProblem(f"storage {storage.key!r} holds {length} bytes, but {storage.numel} "
                           f"{storage.element} elements need {expected} (truncated?)")


def _decode(raw, element, byteorder, key):
    """Bytes of ``element`` values in ``byteorder`` -> a writable 1-d array in native order."""
    order = "<" if byteorder == "little" else ">"
    itemsize = _itemsize(element)
    if len(raw) % itemsize:
        raise _FileProblem(f"storage {key!r} holds {len(raw)} bytes, not a whole number of {element} values")
    if element == "bfloat16":  # the upper half of a float32: widening is exact
        halves = np.frombuffer(raw, dtype=np.dtype("u2").newbyteorder(order))
        return (halves.astype(np.uint32) << 16).view(np.float32)
    if element == "bool":
        return np.frombuffer(raw, dtype=np.uint8) != 0
    dtype = np.dtype(element)
    return np.frombuffer(raw, dtype=dtype.newbyteorder(order)).astype(dtype)


# ----------------------------------------------------------------------- records -> lucid
def _tensor_array(record):
    element = record.element
    if element not in _DTYPE_ELEMENTS.values():
        raise _FileProblem(f"tensors of element type {element} are not supported by lucid")
    size, stride, offset = record.size, record.stride, record.offset
    dtype = np.dtype(np.float32 if element == "bfloat16" else element)
    if record.requires_grad and dtype.kind != "f":
        raise _FileProblem(f"a tensor of dtype {element} is marked requires_grad, which only floats can be")
    if 0 in size:
        return np.empty(size, dtype=dtype)
    values = record.storage.elements(element)
    last = offset + sum((extent - 1) * step for extent, step in zip(size, stride))
    if last >= len(values):
        raise _FileProblem(f"a tensor of size {size}, stride {stride} and offset {offset} needs {last + 1} "
                           f"elements of {record.storage!r}, which holds {len(values)}")
    # a view of the storage, as torch loads it: tensors sharing a storage share memory
    strides = tuple(step * dtype.itemsize if extent > 1 else 0 for extent, step in zip(size, stride))
    return np.lib.stride_tricks.as_strided(values[offset:], shape=size, strides=strides, writeable=True)


class _Converter:
    """Turns the unpickled records into lucid objects, keeping shared references shared."""

    def __init__(self):
        self._done = {}

    def __call__(self, value):
        if value is None or type(value) in (bool, int, float, complex, str, bytes):
            return value
        key = id(value)
        if key in self._done:
            if self._done[key] is _IN_PROGRESS:
                raise _FileProblem("a tuple or set contains itself, which a weights file never does")
            return self._done[key]
        out = self._convert(value, key)
        self._done[key] = out
        return out

    def _convert(self, value, key):
        if isinstance(value, _TensorRecord):
            array = _tensor_array(value)
            if value.parameter:
                tensor = Parameter(np.empty(0, dtype=array.dtype), requires_grad=False)
                tensor.data = array
            else:
                tensor = Tensor._from_array(array, backend.CPU)
            tensor.requires_grad = value.requires_grad
            return tensor
        if isinstance(value, _StorageRecord):
            return Tensor._from_array(value.elements(value.element), backend.CPU)
        if isinstance(value, _Global):
            if value.kind == "dtype":
                return _LUCID_DTYPES.get(value.value, f"torch.{value.value}")
            raise _FileProblem(f"the checkpoint holds the global {value.qualified_name} itself as a value")
        if isinstance(value, _DeviceRecord):
            return backend.Device(value.type, value.index)
        if type(value) in (dict, OrderedDict, Counter):
            out = type(value)()
            self._done[key] = out
            for item_key, item in value.items():
                out[self(item_key)] = self(item)
            metadata = getattr(value, "_metadata", None)  # torch's per-module state_dict versions
            if type(value) is OrderedDict and metadata is not None:
                out._metadata = self(metadata)
            return out
        if type(value) is list:
            out = []
            self._done[key] = out
            out.extend(self(item) for item in value)
            return out
        if type(value) is Size:  # attributes a BUILD may have set on it are dropped
            return Size(value)
        if type(value) in (tuple, set, frozenset):
            self._done[key] = _IN_PROGRESS
            return type(value)(self(item) for item in value)
        if type(value) is bytearray:
            return bytearray(value)
        raise _FileProblem(f"the pickle builds a {type(value).__name__}, which a weights file never holds")


_IN_PROGRESS = object()


# ----------------------------------------------------------------------- entry points
def is_torch_checkpoint(data):
    """Whether ``data`` (a file's bytes) starts like a torch.save file: a zip archive or a legacy pickle."""
    if data[:4] == _ZIP_SIGNATURE:
        return True
    if data[8:9] == b"{":  # a safetensors header: 8-byte length, then JSON
        return False
    return data[:1] == b"\x80" or data[:2] == b"\x8a\x0a" or data[257:262] == b"ustar"


def load(data, name, map_location):
    """Read a torch.save file's bytes into lucid objects.

    Parameters
    ----------
    data : bytes
        The whole file.
    name : str
        How errors name the file.
    map_location : lucid.serialization._MapLocation
        Already checked; its function (if any) is called on each storage before tensors are built.
    """
    if data[257:262] == b"ustar":
        raise ValueError(f"{name}: a tar-format checkpoint (PyTorch before 0.4) is not supported")
    reader = _read_zip if data[:4] == _ZIP_SIGNATURE else _read_legacy
    layout = "zip" if reader is _read_zip else "legacy"
    result, storages = _guarded(name, layout, lambda: reader(data))
    if map_location.function is not None:  # called outside the guard: the user's code raises its own errors
        for storage in storages:
            values = _guarded(name, layout, lambda: storage.elements(storage.element))
            map_location.call(Tensor._from_array(values, backend.CPU), storage.location)
    return _guarded(name, layout, lambda: _Converter()(result))


def _guarded(name, layout, step):
    try:
        return step()
    except _FileProblem as problem:
        raise ValueError(f"{name}: cannot load this PyTorch checkpoint ({layout} format): {problem}") from None
    except Exception as error:  # anything else the bytes provoke (pickle, struct, NumPy, recursion)
        raise ValueError(f"{name}: the PyTorch checkpoint ({layout} format) is corrupt: "
                         f"{type(error).__name__}: {error}") from error

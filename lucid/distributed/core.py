"""The default process group and its collectives, over MPI's COMM_WORLD or a world of one."""

import enum
import os
import sys
import time

import numpy as np

from ..tensor import Tensor

_NOT_INITIALIZED = "Default process group has not been initialized, please make sure to call init_process_group."
# Set by common MPI launchers in every process they start; used only to refuse running
# several silently independent one-process "worlds" when mpi4py is missing.
_LAUNCHER_SIZE_VARIABLES = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "MV2_COMM_WORLD_SIZE")


class ReduceOp(enum.Enum):
    """How ``all_reduce`` combines the processes' values."""

    SUM = "sum"
    AVG = "avg"
    PRODUCT = "product"
    MAX = "max"
    MIN = "min"


class _Request:
    """A finished request (the world of one never waits)."""

    def Wait(self):
        return None

    def Test(self):
        return True


class _LocalComm:
    """COMM_WORLD of a one-process world without MPI: every collective is the identity."""

    rank, size = 0, 1

    def Allreduce(self, sendbuf, recvbuf, op=None):
        pass

    def Iallreduce(self, sendbuf, recvbuf, op=None):
        return _Request()

    def Bcast(self, buf, root=0):
        pass

    def Ibcast(self, buf, root=0):
        return _Request()

    def Allgather(self, sendbuf, recvbuf):
        recvbuf[0] = sendbuf

    def Barrier(self):
        pass

    def allgather(self, obj):
        return [obj]

    def bcast(self, obj, root=0):
        return obj

    def Abort(self, errorcode=1):
        os._exit(errorcode)


class _World:
    def __init__(self, comm, mpi):
        self.comm = comm
        self.mpi = mpi  # the mpi4py.MPI module, or None
        self.rank = comm.rank
        self.size = comm.size
        self.previous_excepthook = None


_world = None


def _import_mpi():
    """``mpi4py.MPI`` (which initializes MPI), or None when mpi4py is not installed."""
    try:
        from mpi4py import MPI
    except ImportError:
        return None
    return MPI


def is_available():
    """True: lucid.distributed always works, as a world of one process at least."""
    return True


def is_mpi_available():
    """Whether mpi4py can be imported (needed for more than one process)."""
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        return False
    return True


def is_initialized():
    """Whether ``init_process_group`` has run (and ``destroy_process_group`` not since)."""
    return _world is not None


def _current(group=None):
    if group is not None:
        raise ValueError(f"lucid.distributed has only the default group; pass group=None, got {group!r}")
    if _world is None:
        raise ValueError(_NOT_INITIALIZED)
    return _world


def init_process_group(backend=None, init_method=None, timeout=None, world_size=-1, rank=-1, store=None,
                       group_name=""):
    """Join the job's processes into the default group; the launcher (``mpiexec``) decides who is in it.

    Parameters
    ----------
    backend : str, optional
        ``"mpi"`` (the default and the only backend).
    init_method : str, optional
        None or ``"env://"``; MPI processes meet through their launcher, not an address.
    timeout : optional
        Accepted for PyTorch code and ignored: a failing process aborts the whole job instead.
    world_size, rank : int, optional
        When given (not -1), checked against what the launcher started.
    store, group_name : optional
        Accepted for PyTorch code; must be left at their defaults.

    Notes
    -----
    With mpi4py importable, the group is MPI's ``COMM_WORLD``; under ``python script.py`` that
    is a world of one process. Without mpi4py, a plain run is a world of one as well, but a
    run under an MPI launcher with more processes raises instead of silently training each
    process alone.
    """
    global _world
    if backend is not None and str(backend).lower() != "mpi":
        raise ValueError(f"init_process_group: lucid supports backend='mpi' only, got backend={backend!r}")
    if init_method not in (None, "env://"):
        raise ValueError(f"init_process_group: MPI processes meet through their launcher; init_method must be "
                         f"None or 'env://', got {init_method!r}")
    if store is not None or group_name:
        raise ValueError("init_process_group: store and group_name are not supported with MPI; leave them unset")
    if _world is not None:
        raise ValueError("trying to initialize the default process group twice!")
    mpi = _import_mpi()
    if mpi is None:
        launched = {name: os.environ[name] for name in _LAUNCHER_SIZE_VARIABLES
                    if os.environ.get(name, "1").strip() not in ("", "0", "1")}
        if launched:
            raise RuntimeError(f"init_process_group: started by an MPI launcher ({launched}) but mpi4py is not "
                               'installed; install it with: pip install "lucid[mpi]"')
        comm = _LocalComm()
    else:
        comm = mpi.COMM_WORLD
    for name, wanted, actual in (("world_size", world_size, comm.size), ("rank", rank, comm.rank)):
        if wanted != -1 and wanted != actual:
            raise ValueError(f"init_process_group: {name}={wanted} was asked for, but the launcher started this "
                             f"process with {name} {actual}")
    world = _World(comm, mpi)
    if world.size > 1:
        world.previous_excepthook = sys.excepthook
        sys.excepthook = _abort_on_uncaught(world)
    _world = world


def _abort_on_uncaught(world):
    previous = sys.excepthook

    def excepthook(exc_type, exc, traceback):
        previous(exc_type, exc, traceback)
        sys.stderr.write(f"lucid.distributed: rank {world.rank} of {world.size} raised {exc_type.__name__}; "
                         "aborting the job (MPI_Abort)\n")
        sys.stdout.flush()
        sys.stderr.flush()
        # MPI_Abort tears the job down at once; the launcher may not have forwarded this
        # process's last output yet, and that output is the only trace of the cause
        time.sleep(0.5)
        world.comm.Abort(1)

    return excepthook


def destroy_process_group(group=None):
    """Leave the default group (MPI itself stays up until the process exits)."""
    global _world
    world = _current(group)
    if world.previous_excepthook is not None:
        sys.excepthook = world.previous_excepthook
    _world = None


def get_backend(group=None):
    _current(group)
    return "mpi"


def get_rank(group=None):
    """This process's index in the group, from 0."""
    return _current(group).rank


def get_world_size(group=None):
    """Number of processes in the group."""
    return _current(group).size


class Work:
    """Handle of a collective started with ``async_op=True``; ``wait()`` finishes it."""

    def __init__(self, request, finish=None):
        self._request = request
        self._finish = finish
        self._done = False

    def _complete(self):
        if not self._done:
            self._done = True
            if self._finish is not None:
                self._finish()

    def wait(self, timeout=None):
        """Block until the collective is done and the tensor holds its result."""
        self._request.Wait()
        self._complete()
        return True

    def is_completed(self):
        if not self._done and self._request.Test():
            self._complete()
        return self._done


def _buffer(tensor, where):
    """The NumPy array behind ``tensor``, and whether the result must be copied back into it."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{where}: expected a Tensor, got {type(tensor).__name__}")
    data = tensor._array
    if type(data) is not np.ndarray:
        raise TypeError(f"{where}: the tensor must hold values on the cpu, got a tensor on {tensor.device}")
    if data.flags.c_contiguous and data.flags.writeable:
        return data, False
    return np.ascontiguousarray(data), True


def _run(start, wait, finish, async_op):
    """Start a collective (non-blocking when ``async_op``); ``finish`` runs once it is done."""
    if async_op:
        return Work(start(), finish)
    wait()
    finish()
    return None


def _mpi_op(world, op, dtype):
    mpi = world.mpi
    if mpi is None:
        return None
    if dtype == np.bool_:
        return {ReduceOp.SUM: mpi.LOR, ReduceOp.MAX: mpi.LOR, ReduceOp.MIN: mpi.LAND,
                ReduceOp.PRODUCT: mpi.LAND}[op]
    return {ReduceOp.SUM: mpi.SUM, ReduceOp.AVG: mpi.SUM, ReduceOp.PRODUCT: mpi.PROD, ReduceOp.MAX: mpi.MAX,
            ReduceOp.MIN: mpi.MIN}[op]


def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False):
    """Combine ``tensor`` across all processes with ``op``; every process gets the result, in place.

    Parameters
    ----------
    tensor : Tensor
        Same shape and dtype on every process.
    op : ReduceOp, optional
        ``SUM`` (default), ``AVG`` (floating tensors), ``PRODUCT``, ``MAX`` or ``MIN``.
    group : None
    async_op : bool, optional
        Return a ``Work`` to ``wait()`` on instead of blocking.

    Returns
    -------
    Work or None
    """
    world = _current(group)
    if not isinstance(op, ReduceOp):
        raise TypeError(f"all_reduce: op must be a lucid.distributed.ReduceOp, got {op!r}")
    buf, copy_back = _buffer(tensor, "all_reduce")
    if op is ReduceOp.AVG and buf.dtype.kind not in "fc":
        raise TypeError(f"all_reduce: ReduceOp.AVG needs a floating tensor, got dtype {tensor.dtype}")
    if buf.dtype == np.bool_ and op is ReduceOp.AVG:
        raise TypeError("all_reduce: ReduceOp.AVG is not defined for bool tensors")
    in_place = world.mpi.IN_PLACE if world.mpi is not None else None
    mpi_op = _mpi_op(world, op, buf.dtype)

    def finish():
        if op is ReduceOp.AVG:
            np.divide(buf, world.size, out=buf)
        if copy_back:
            tensor._array[...] = buf
        tensor._bump_version()  # an in-place change, as autograd's checks must see it

    return _run(lambda: world.comm.Iallreduce(in_place, buf, mpi_op),
                lambda: world.comm.Allreduce(in_place, buf, mpi_op), finish, async_op)


def _check_src(world, src, where):
    if isinstance(src, bool) or not isinstance(src, (int, np.integer)) or not 0 <= src < world.size:
        raise ValueError(f"{where}: src must be a rank in [0, {world.size - 1}], got {src!r}")
    return int(src)


def broadcast(tensor, src=0, group=None, async_op=False):
    """Copy rank ``src``'s ``tensor`` into ``tensor`` on every process, in place.

    Parameters
    ----------
    tensor : Tensor
        Same shape and dtype on every process.
    src : int, optional
    group : None
    async_op : bool, optional

    Returns
    -------
    Work or None
    """
    world = _current(group)
    src = _check_src(world, src, "broadcast")
    buf, copy_back = _buffer(tensor, "broadcast")

    def finish():
        if copy_back:
            tensor._array[...] = buf
        tensor._bump_version()

    return _run(lambda: world.comm.Ibcast(buf, root=src), lambda: world.comm.Bcast(buf, root=src), finish,
                async_op)


def all_gather(tensor_list, tensor, group=None, async_op=False):
    """Fill ``tensor_list[r]`` with rank ``r``'s ``tensor``, on every process.

    Parameters
    ----------
    tensor_list : list of Tensor
        ``world_size`` tensors of ``tensor``'s shape and dtype; written in place.
    tensor : Tensor
        Same shape and dtype on every process.
    group : None
    async_op : bool, optional
        Accepted; the gather completes before returning.

    Returns
    -------
    Work or None
    """
    world = _current(group)
    send, _ = _buffer(tensor, "all_gather")
    if not isinstance(tensor_list, list) or len(tensor_list) != world.size:
        raise ValueError(f"all_gather: tensor_list must be a list of world_size={world.size} tensors, got "
                         f"{type(tensor_list).__name__} of length {len(tensor_list)}")
    for i, out in enumerate(tensor_list):
        if not isinstance(out, Tensor) or out.shape != tensor.shape or out._array.dtype != send.dtype:
            got = f"{out.shape} {out.dtype}" if isinstance(out, Tensor) else type(out).__name__
            raise ValueError(f"all_gather: tensor_list[{i}] must be a tensor of shape {tensor.shape} and dtype "
                             f"{tensor.dtype}, got {got}")
    received = np.empty((world.size,) + send.shape, dtype=send.dtype)
    world.comm.Allgather(send, received)
    for out, value in zip(tensor_list, received):
        out._array[...] = value
        out._bump_version()
    return Work(_Request()) if async_op else None


def barrier(group=None, async_op=False):
    """Wait until every process has reached this call."""
    world = _current(group)
    world.comm.Barrier()
    return Work(_Request()) if async_op else None


def all_gather_object(object_list, obj, group=None):
    """Fill ``object_list[r]`` with rank ``r``'s ``obj``, on every process.

    Parameters
    ----------
    object_list : list
        Of length ``world_size``; overwritten.
    obj : object
        Any picklable object.
    group : None

    Notes
    -----
    The objects travel through mpi4py's object transport, which pickles them. That is
    safe between the processes of one job (they run the same program); never pass data
    from outside the job through it.
    """
    world = _current(group)
    if not isinstance(object_list, list) or len(object_list) != world.size:
        raise ValueError(f"all_gather_object: object_list must be a list of world_size={world.size} entries, got "
                         f"{type(object_list).__name__} of length {len(object_list)}")
    object_list[:] = world.comm.allgather(obj)


def broadcast_object_list(object_list, src=0, group=None):
    """Replace ``object_list``'s entries with rank ``src``'s, on every process.

    Parameters
    ----------
    object_list : list
        Of the same length on every process; rank ``src``'s entries are sent.
    src : int, optional
    group : None

    Notes
    -----
    Pickled by mpi4py's object transport, as in ``all_gather_object``.
    """
    world = _current(group)
    src = _check_src(world, src, "broadcast_object_list")
    if not isinstance(object_list, list):
        raise TypeError(f"broadcast_object_list: object_list must be a list, got {type(object_list).__name__}")
    received = world.comm.bcast(list(object_list) if world.rank == src else None, root=src)
    if len(received) != len(object_list):
        raise ValueError(f"broadcast_object_list: rank {src} sent {len(received)} objects, but this rank's "
                         f"object_list has {len(object_list)}")
    object_list[:] = received

"""Processes that train together: PyTorch's ``torch.distributed`` API on MPI (``mpi4py``).

Start the processes with a standard MPI launcher, e.g. ``mpiexec -n 4 python train.py``
(``pip install "lucid[mpi]"`` brings ``mpi4py`` and an MPICH with its ``mpiexec``; a system
MPI works too). Every process calls ``init_process_group()``; a plain ``python train.py``
is then a world of one process, with or without ``mpi4py`` installed.

Every byte between processes goes through MPI collectives. Tensors travel as raw buffers.
``all_gather_object`` and ``broadcast_object_list`` send Python objects through mpi4py's
object transport, which pickles them: fine between the processes of one job, which all run
the same program, but never feed them data from outside the job.

Once the world has more than one process, an exception that reaches the top of any process
calls ``MPI_Abort``, so the whole job ends with a non-zero exit instead of the others
waiting forever in their next collective.
"""

from .core import (ReduceOp, Work, all_gather, all_gather_object, all_reduce, barrier, broadcast,
                   broadcast_object_list, destroy_process_group, get_backend, get_rank, get_world_size,
                   init_process_group, is_available, is_initialized, is_mpi_available)

__all__ = ["ReduceOp", "Work", "all_gather", "all_gather_object", "all_reduce", "barrier", "broadcast",
           "broadcast_object_list", "destroy_process_group", "get_backend", "get_rank", "get_world_size",
           "init_process_group", "is_available", "is_initialized", "is_mpi_available"]

"""Where chunks of work run: in this process, in local worker processes, or on Dask.

``nof1 series`` and ``nof1 power`` cut their work into chunks whose results do not depend on
where, or in what order, they run (fixed chunks; power's random streams keyed by chunk), and
hand them to :func:`map_chunks`. It runs them

- here, one after the other (``workers=1``);
- in a pool of local worker processes (``workers=N``, the default for large runs);
- on a Dask cluster (``client=``, a ``dask.distributed.Client``: ``--dask ADDRESS``).

Every worker process does its BLAS work on one thread (two multi-threaded OpenBLAS
processes on two cores waste a fifth of the CPU; the numbers are the same).

Dask is an optional extra (``pip install 'nof1[dask]'``), imported only when asked for.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Sequence
from contextlib import contextmanager, nullcontext
from pathlib import Path

from nof1.errors import Nof1Error

__all__ = [
    "cluster_for",
    "cpus",
    "dask_client",
    "map_chunks",
    "one_blas_thread",
    "paused_gc",
]

_MISSING = "needs the Dask extra: pip install 'nof1[dask]'"
_BLAS_LIMITED = False


def cpus() -> int:
    """The CPUs this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def one_blas_thread() -> None:
    """Limit this process's BLAS (OpenBLAS, MKL...) to one thread, once per process.

    For worker processes: each runs one chunk at a time on small matrices, where threads only
    spin. Uses threadpoolctl when installed (it works after numpy is loaded), else sets the
    environment variables for libraries not loaded yet.
    """
    global _BLAS_LIMITED
    if _BLAS_LIMITED:
        return
    _BLAS_LIMITED = True
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = "1"
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl comes with scipy's usual stack
        return
    threadpool_limits(1)


@contextmanager
def paused_gc():
    """Pause the cyclic garbage collector (a table read and validated, a chunk's work).

    Reading and analysing make many small objects (lists, tuples, dicts, arrays), hardly
    any in a reference cycle: reference counting frees them, and the collector would only
    scan them again and again as they pile up (4x slower reading a large series; 0.3 ms of
    a series' 7 ms per patient). A chunk's few cycles are collected once it is done.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _worker_start() -> None:
    gc.freeze()  # the parent's objects, inherited on fork, are never collected here
    one_blas_thread()


def _call(fn: Callable, args: tuple):
    """A chunk, in a worker: one BLAS thread, then ``fn(*args)`` (the collector paused)."""
    one_blas_thread()
    with paused_gc():
        return fn(*args)


def map_chunks(
    fn: Callable,
    tasks: Sequence[tuple],
    *,
    workers: int = 1,
    client=None,
    done: Callable[[int, object], None] | None = None,
    meanwhile: Callable[[], None] | None = None,
    keep: Callable[[object], object] | None = None,
) -> list:
    """``[fn(*task) for task in tasks]``, wherever they run, in the order of ``tasks``.

    Parameters
    ----------
    fn : callable
        A module-level function (it is pickled to the workers).
    tasks : sequence of tuple
        The arguments of each call.
    workers : int
        Local worker processes; 1 runs every task here. Ignored with ``client``.
    client : dask.distributed.Client, optional
        Run the tasks on its cluster.
    done : callable, optional
        ``done(i, result)`` as each task ends, in the order they end (a progress bar).
    meanwhile : callable, optional
        Called once the tasks are submitted (work for the parent while they run).
    keep : callable, optional
        ``keep(result)`` is kept instead of each result, as it arrives (before ``done``):
        what the caller needs of it, so that the results received do not pile up.

    Returns
    -------
    list
        The results, in the order of ``tasks``.
    """
    keep = keep or _itself
    if client is not None:
        return _on_dask(client, fn, tasks, done, meanwhile, keep)
    if workers <= 1 or len(tasks) <= 1:
        return _here(fn, tasks, done, keep)
    return _on_pool(fn, tasks, workers, done, meanwhile, keep)


def _itself(result):
    return result


def _here(fn, tasks, done, keep) -> list:
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover
        limits = nullcontext()
    else:
        limits = threadpool_limits(1)  # for the run only: the caller's numpy is left alone
    out = []
    ours = gc.get_freeze_count() == 0  # (a caller's own freeze is left as it is)
    gc.freeze()  # what exists now (imports, the inputs) is not scanned again during the run
    try:
        with limits:
            for i, task in enumerate(tasks):
                out.append(keep(_call(fn, task)))
                if done:
                    done(i, out[-1])
    finally:
        if ours:
            gc.unfreeze()
    return out


def _on_pool(fn, tasks, workers, done, meanwhile, keep) -> list:
    from concurrent.futures import ProcessPoolExecutor, as_completed

    out: list = [None] * len(tasks)
    pool = ProcessPoolExecutor(min(workers, len(tasks)), initializer=_worker_start)
    try:
        futures = {pool.submit(_call, fn, task): i for i, task in enumerate(tasks)}
        if meanwhile:
            meanwhile()
        for future in as_completed(futures):
            i = futures.pop(future)
            out[i] = keep(future.result())
            if done:
                done(i, out[i])
    finally:
        pool.shutdown(cancel_futures=True)
    return out


def _on_dask(client, fn, tasks, done, meanwhile, keep) -> list:
    from distributed import as_completed

    out: list = [None] * len(tasks)
    futures = [client.submit(_call, fn, task, pure=False) for task in tasks]
    index = {f.key: i for i, f in enumerate(futures)}
    if meanwhile:
        meanwhile()
    try:
        for future in as_completed(futures):
            i = index[future.key]
            out[i] = keep(future.result())
            future.release()  # the result lives here now, not on the cluster
            if done:
                done(i, out[i])
    finally:
        for future in futures:
            future.cancel()
    return out


def cluster_for(workers: int | None, address: str | None, scheduler_file) -> object:
    """The command line's choice (``--workers``, ``--dask``, ``--dask-scheduler-file``) as
    a context manager giving a Dask client, or None for local worker processes.

    Raises :class:`Nof1Error` for both kinds at once, or a bad Dask option (checked now,
    before any reading, except that the cluster is only reached when entered)."""
    if address is None and scheduler_file is None:
        return nullcontext(None)
    if workers is not None:
        option = "--dask" if address is not None else "--dask-scheduler-file"
        raise Nof1Error(f"give --workers or {option}, not both (the cluster has its workers)")
    if address is not None:
        _local_workers(address)  # a malformed address fails before the long part
    if scheduler_file is not None and not Path(scheduler_file).is_file():
        raise Nof1Error(f"{scheduler_file}: no such scheduler file (--dask-scheduler-file)")
    import importlib.util

    if importlib.util.find_spec("distributed") is None:
        option = "--dask" if address is not None else "--dask-scheduler-file"
        raise Nof1Error(f"{option} {_MISSING}")
    return dask_client(address, scheduler_file)


@contextmanager
def dask_client(address: str | None = None, scheduler_file: str | os.PathLike | None = None):
    """A ``dask.distributed.Client`` for ``--dask ADDRESS`` or ``--dask-scheduler-file FILE``.

    ``ADDRESS`` is a scheduler (``tcp://host:8786``) or ``local`` / ``local:N``: a cluster of
    N worker processes on this machine (default: one per CPU), closed at the end.

    Raises
    ------
    Nof1Error
        Dask not installed, a bad ADDRESS, a scheduler file that is missing, or a scheduler
        that cannot be reached.
    """
    option = "--dask" if address is not None else "--dask-scheduler-file"
    if address is not None and scheduler_file is not None:
        raise Nof1Error("give --dask or --dask-scheduler-file, not both")
    local = _local_workers(address) if address is not None else None
    if scheduler_file is not None and not Path(scheduler_file).is_file():
        raise Nof1Error(
            f"{scheduler_file}: no such scheduler file (--dask-scheduler-file: the file "
            "`dask scheduler --scheduler-file FILE` writes)"
        )
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise Nof1Error(f"{option} {_MISSING}") from None
    if local is not None:
        cluster = LocalCluster(
            n_workers=local,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=50,
        )
        try:
            with Client(cluster) as client:
                yield client
        finally:
            cluster.close()
        return
    try:
        if scheduler_file is not None:
            client = Client(scheduler_file=str(scheduler_file), timeout="10s")
        else:
            client = Client(address, timeout="10s")
    except (OSError, TimeoutError, ValueError) as exc:
        where = address or scheduler_file
        raise Nof1Error(f"{option} {where}: cannot reach the Dask scheduler ({exc})") from None
    with client:
        yield client


def _local_workers(address: str) -> int | None:
    """N of ``local:N`` (None for a scheduler's address); :class:`Nof1Error` if malformed."""
    if address == "local":
        return cpus()
    if address.startswith("local:"):
        n = address.removeprefix("local:")
        if n.isdigit() and int(n) >= 1:
            return int(n)
        raise Nof1Error(f"--dask {address}: expected local:N with N a whole number >= 1")
    if "://" not in address or address.endswith("://"):
        raise Nof1Error(
            f"--dask {address}: expected a scheduler address (tcp://host:8786) or local[:N]"
        )
    return None

"""Where the per-partition work runs: in this process, a local process pool, or Dask.

Every engine maps the same pure partition function over the dump's chunks, in order, with
at most a few chunks in flight (bounded memory). Workers build their own segmenter and
matcher from the config and receive the fitted models once. A Dask scheduler named in the
config is connected to and checked (:func:`connect`) before the run loads or fits anything,
and each of its partitions checks that its worker runs the run's code (a worker may join
later); a worker that dies under a partition ends the run with an :class:`EngineError`.
"""

from __future__ import annotations

import functools
import logging
import os
import pickle
import signal
import threading
import time
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from typing import Any, Callable, Iterable, Iterator

from pipeline.config import Config, EngineKind
from pipeline.errors import ConfigError, EngineError

logger = logging.getLogger(__name__)

_WORKER: dict[str, Any] = {}


def _init_worker(payload: bytes, parent: int) -> None:
    """Process-pool initializer: end with ``parent``, unpickle the context once per worker."""
    from pipeline.resources import lean_arrow_memory

    exit_with_parent(parent)
    lean_arrow_memory()
    _WORKER["context"] = pickle.loads(payload)


# How often a pool worker looks whether the run that started it is still there.
PARENT_CHECK_S = 0.5


def exit_with_parent(parent: int) -> None:
    """Pool-worker initializer: end this process within ``PARENT_CHECK_S`` of the end of
    process ``parent`` (the run that started the pool), however that ended.

    A run killed by a signal (a cron job's time limit, ``kill``, the out-of-memory killer)
    cannot close its pool, and its idle workers wait on the pool's queue for ever: each one
    kept its memory (hundreds of MB with the models) until someone killed it by hand. A
    thread of the worker watches its parent process instead (POSIX only; elsewhere a no-op).
    The worker also drops the run's SIGTERM handler it inherited (see ``pipeline.cli``): a
    worker told to stop stops, and the run sees a worker that died.
    """
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if os.name != "posix":
        return
    started_by = os.getppid()

    def gone() -> bool:
        if os.getppid() != started_by:
            return True  # orphaned: adopted by init or a subreaper
        try:
            os.kill(parent, 0)  # signal 0: only asks whether the process exists
        except ProcessLookupError:
            return True
        except PermissionError:
            pass
        return False

    def watch() -> None:
        while not gone():
            time.sleep(PARENT_CHECK_S)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def _call_in_worker(fn: Callable, item: Any) -> Any:
    return fn(item, _WORKER["context"])


class LocalEngine:
    """Runs partitions one after another in this process."""

    name = "local"
    where = "this process"  # for the log

    def __init__(self, config: Config) -> None:
        self.config = config

    def map(self, fn: Callable[[Any, Any], Any], items: Iterable[Any], context: Any) -> Iterator[Any]:
        for item in items:
            yield fn(item, context)

    def close(self) -> None:
        """Nothing to release."""


class ProcessEngine:
    """A local pool of worker processes; results come back in input order."""

    name = "processes"

    def __init__(self, config: Config) -> None:
        self.config = config
        self.workers = config.engine.workers
        self.where = f"a pool of {self.workers} worker processes"  # for the log
        self._pool: ProcessPoolExecutor | None = None

    def map(self, fn: Callable[[Any, Any], Any], items: Iterable[Any], context: Any) -> Iterator[Any]:
        payload = pickle.dumps(context, protocol=pickle.HIGHEST_PROTOCOL)
        self._pool = ProcessPoolExecutor(max_workers=self.workers, initializer=_init_worker, initargs=(payload, os.getpid()))
        pending: deque = deque()
        limit = 2 * self.workers
        done = 0
        for item in items:
            pending.append(self._pool.submit(_call_in_worker, fn, item))
            if len(pending) >= limit:
                done += 1
                yield _pool_result(pending.popleft(), done)
        while pending:
            done += 1
            yield _pool_result(pending.popleft(), done)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None


# What to do when a worker dies under a partition: memory is the usual reason.
_DIED_HINT = "no output was replaced; rerun, with fewer engine.workers or a smaller engine.chunk_size if memory is short"


def _pool_result(future, number: int) -> Any:
    """The result of partition ``number``; a worker that died under it (killed, out of memory)
    is an :class:`EngineError`, not a traceback."""
    from concurrent.futures.process import BrokenProcessPool

    try:
        return future.result()
    except BrokenProcessPool as exc:
        raise EngineError(f"a worker process of the pool ended abruptly (killed, or out of memory?) before partition {number} came back: {_DIED_HINT}") from exc


class DaskEngine:
    """A Dask cluster: the scheduler at ``engine.address``, or a LocalCluster of ``workers``."""

    name = "dask"

    def __init__(self, config: Config) -> None:
        try:
            from dask.distributed import Client, LocalCluster
        except ImportError as exc:
            raise ConfigError("[engine -> kind] dask needs the 'distributed' package: pip install -r requirements.txt") from exc
        self.config = config
        params = config.engine
        self.where = f"the Dask scheduler at {params.address}" if params.address else f"a Dask LocalCluster of {params.workers} workers"  # for the log
        # Workers whose package versions were compared with this machine's: those the
        # connection checked, then each that joins later, at its first partition.
        self._checked: set[str] = set()
        if config.engine.address:
            self._cluster = None
            self.client = connect(config.engine.address, config.engine.connect_timeout_s)
            self._checked.update(self.client.scheduler_info().get("workers", {}))
        else:
            import dask

            # Dask's nannies start workers with MALLOC_TRIM_THRESHOLD_ set, which also turns
            # off glibc's adaptive mmap threshold: every array of 128 KB or more is then mapped
            # and unmapped afresh. Without it the partition stages ran about 10 % faster (100k
            # reviews, 2 workers, three alternated runs each: sentiment 15.7 s against 17.6).
            environ = {k: v for k, v in dask.config.get("distributed.nanny.pre-spawn-environ", {}).items() if k != "MALLOC_TRIM_THRESHOLD_"}
            with dask.config.set({"distributed.nanny.pre-spawn-environ": environ}):
                self._cluster = LocalCluster(n_workers=config.engine.workers, threads_per_worker=1, processes=True, dashboard_address=None)
            self.client = Client(self._cluster)

    def map(self, fn: Callable[[Any, Any], Any], items: Iterable[Any], context: Any) -> Iterator[Any]:
        ctx = self.client.scatter(context, broadcast=True)
        pending: deque = deque()
        limit = 2 * max(1, len(self.client.scheduler_info().get("workers", {})) or 1)
        done = 0
        for item in items:
            pending.append(self.client.submit(fn, item, ctx, pure=False))
            if len(pending) >= limit:
                done += 1
                yield self._checked_result(pending.popleft(), done)
        while pending:
            done += 1
            yield self._checked_result(pending.popleft(), done)

    def _checked_result(self, future, number: int) -> Any:
        """Partition ``number``'s result, after a warning if it ran on a worker that joined
        after the connection's check with other package versions (once per worker)."""
        result = _dask_result(future, number)
        worker = getattr(result, "worker", None)
        if worker is not None and worker[0] not in self._checked:
            self._checked.add(worker[0])
            _warn_versions(worker[0], worker[1], worker_versions())
        return result

    def close(self) -> None:
        self.client.close()
        if self._cluster is not None:
            self._cluster.close()


def _dask_result(future, number: int) -> Any:
    """The result of partition ``number``. Dask runs a task again when its worker dies, up to
    ``distributed.scheduler.allowed-failures`` times; after that it gives up on the task
    (KilledWorker) and may cancel others whose results that worker held: an
    :class:`EngineError` either way."""
    from concurrent.futures import CancelledError

    from distributed import KilledWorker

    try:
        return future.result()
    except (KilledWorker, CancelledError) as exc:
        raise EngineError(
            f"Dask workers died (killed, or out of memory?) before partition {number} came back, and Dask gave up on it "
            f"({type(exc).__name__}; distributed.scheduler.allowed-failures): {_DIED_HINT}"
        ) from exc


def connect(address: str, timeout: float):
    """A client of the Dask scheduler at ``address`` whose workers can run this project:
    checked here, before any work, so that a cluster that is down or misconfigured fails
    the run at once with a reason rather than after the models are fitted.

    Raises:
        ConfigError: ``address`` is not a Dask address.
        EngineError: the scheduler does not answer within ``timeout`` seconds, has no worker
            after as long again, or cannot import this project, or a worker cannot import it
            or runs other code of it.
    """
    from dask.distributed import Client

    where = f"the Dask scheduler at {address} (engine.address, --scheduler)"
    _reachable(address, timeout, where)
    try:
        client = Client(address, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError) as exc:  # it answered a moment ago, then went away
        raise EngineError(f"lost {where} while connecting ({exc}): is it restarting? Run again") from exc
    try:
        try:
            client.wait_for_workers(1, timeout=timeout)
        except (TimeoutError, OSError) as exc:
            raise EngineError(f"{where} has no workers (waited {timeout:g} s): start some with `dask worker {address}` on machines that have this project installed") from exc
        _check_workers(client, where)
    except BaseException:
        client.close()
        raise
    return client


def _reachable(address: str, timeout: float, where: str) -> None:
    """Open and close one connection to the scheduler (a client that fails to connect leaves
    noise on the console when it is collected)."""
    import asyncio

    from distributed.comm import connect as comm_connect

    async def knock() -> None:
        comm = await comm_connect(address, timeout=timeout)
        await comm.close()

    try:
        asyncio.run(knock())
    except ValueError as exc:  # not an address: missing port, unknown scheme
        raise ConfigError(f"[engine -> address] {exc}; expected a scheduler address such as tcp://host:8786") from exc
    except (OSError, TimeoutError) as exc:
        raise EngineError(
            f"cannot reach {where} within {timeout:g} s ({exc}): start it (`dask scheduler`) or correct the address; "
            "leave engine.address empty to run a LocalCluster on this machine"
        ) from exc


# Packages whose versions decide the scores: a worker with other versions may score differently.
_SCORING_PACKAGES = ("numpy", "scipy", "pandas", "pyarrow", "scikit-learn", "jieba", "rjieba", "snownlp", "gensim", "pyahocorasick")


def worker_facts() -> dict[str, Any]:
    """What a worker runs: the digest of this project's code and the versions of the packages
    that decide the scores (compared with the client's by :func:`connect`)."""
    return {"code": code_digest(), "versions": worker_versions()}


def worker_versions() -> dict[str, str]:
    """The versions of the packages that decide the scores, in this process (read once)."""
    return dict(_scoring_versions())


@functools.cache
def _scoring_versions() -> dict[str, str]:
    from pipeline.outputs import package_versions

    return package_versions(_SCORING_PACKAGES)


@functools.cache
def code_digest() -> str:
    """A digest of this project's Python code (the ``pipeline`` package's files), read once
    per process: every partition a worker runs on another machine asks for it."""
    import hashlib
    from pathlib import Path

    root = Path(__file__).resolve().parent
    h = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        h.update(path.relative_to(root).as_posix().encode())
        h.update(b"\0")
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def worker_name() -> str:
    """The Dask worker running this task (its address), or else this host and process."""
    import socket

    try:
        from distributed import get_worker

        return get_worker().address
    except (ImportError, ValueError):
        return f"{socket.gethostname()} (pid {os.getpid()})"


def _check_workers(client, where: str) -> None:
    """The scheduler (which unpickles the tasks) and every worker import this project, the
    workers run the same code as this machine and have the same scoring packages (a
    difference in these is a warning: scores may differ)."""
    hint = "install the project and its requirements.txt there, or start it where `import pipeline` works (the project folder on PYTHONPATH)"
    try:
        client.run_on_scheduler(code_digest)
    except Exception as exc:  # noqa: BLE001 - the scheduler's own error, re-raised by Dask
        raise EngineError(f"{where} cannot run this project's tasks ({exc}): {hint}") from exc
    try:
        facts = client.run(worker_facts)
    except Exception as exc:  # noqa: BLE001 - the worker's own error, re-raised by Dask as Exception
        raise EngineError(f"a worker of {where} cannot run this project ({exc}): {hint}") from exc
    mine = worker_facts()
    other_code = sorted(w for w, f in facts.items() if f["code"] != mine["code"])
    if other_code:
        raise EngineError(
            f"worker(s) {', '.join(other_code)} of {where} run other code of this project than this machine: "
            "install the same version on every worker, so every partition is scored alike"
        )
    for worker, f in sorted(facts.items()):
        _warn_versions(worker, f["versions"], mine["versions"])


def _warn_versions(worker: str, theirs: dict[str, str], mine: dict[str, str]) -> None:
    """A warning when a worker's scoring packages differ from this machine's."""
    diff = {k: v for k, v in theirs.items() if v != mine.get(k)}
    if diff:
        logger.warning(
            "Dask worker %s has other package versions than this machine (%s): its partitions may score differently",
            worker, ", ".join(f"{k} {v} here {mine.get(k)}" for k, v in sorted(diff.items())),
        )


def make_engine(config: Config):
    """The engine the config names."""
    kind = config.engine.resolved_kind()
    if kind is EngineKind.local:
        return LocalEngine(config)
    if kind is EngineKind.processes:
        return ProcessEngine(config)
    return DaskEngine(config)

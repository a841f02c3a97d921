"""Where the per-partition work runs: in this process, a local process pool, or Dask.

Every engine maps the same pure partition function over the dump's chunks, in order, with
at most a few chunks in flight (bounded memory). Workers build their own segmenter and
matcher from the config and receive the fitted models once.
"""

from __future__ import annotations

import logging
import pickle
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from typing import Any, Callable, Iterable, Iterator

from pipeline.config import Config, EngineKind
from pipeline.errors import ConfigError

logger = logging.getLogger(__name__)

_WORKER: dict[str, Any] = {}


def _init_worker(payload: bytes) -> None:
    """Process-pool initializer: unpickle the context once per worker."""
    from pipeline.resources import lean_arrow_memory

    lean_arrow_memory()
    _WORKER["context"] = pickle.loads(payload)


def _call_in_worker(fn: Callable, item: Any) -> Any:
    return fn(item, _WORKER["context"])


class LocalEngine:
    """Runs partitions one after another in this process."""

    name = "local"

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
        self._pool: ProcessPoolExecutor | None = None

    def map(self, fn: Callable[[Any, Any], Any], items: Iterable[Any], context: Any) -> Iterator[Any]:
        payload = pickle.dumps(context, protocol=pickle.HIGHEST_PROTOCOL)
        self._pool = ProcessPoolExecutor(max_workers=self.workers, initializer=_init_worker, initargs=(payload,))
        pending: deque = deque()
        limit = 2 * self.workers
        for item in items:
            pending.append(self._pool.submit(_call_in_worker, fn, item))
            if len(pending) >= limit:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None


class DaskEngine:
    """A Dask cluster: the scheduler at ``engine.address``, or a LocalCluster of ``workers``."""

    name = "dask"

    def __init__(self, config: Config) -> None:
        try:
            from dask.distributed import Client, LocalCluster
        except ImportError as exc:
            raise ConfigError("[engine -> kind] dask needs the 'distributed' package: pip install -r requirements.txt") from exc
        self.config = config
        if config.engine.address:
            self._cluster = None
            self.client = Client(config.engine.address)
        else:
            self._cluster = LocalCluster(n_workers=config.engine.workers, threads_per_worker=1, processes=True, dashboard_address=None)
            self.client = Client(self._cluster)

    def map(self, fn: Callable[[Any, Any], Any], items: Iterable[Any], context: Any) -> Iterator[Any]:
        ctx = self.client.scatter(context, broadcast=True)
        pending: deque = deque()
        limit = 2 * max(1, len(self.client.scheduler_info().get("workers", {})) or 1)
        for item in items:
            pending.append(self.client.submit(fn, item, ctx, pure=False))
            if len(pending) >= limit:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()

    def close(self) -> None:
        self.client.close()
        if self._cluster is not None:
            self._cluster.close()


def make_engine(config: Config):
    """The engine the config names."""
    kind = config.engine.kind
    if kind is EngineKind.local:
        return LocalEngine(config)
    if kind is EngineKind.processes:
        return ProcessEngine(config)
    return DaskEngine(config)

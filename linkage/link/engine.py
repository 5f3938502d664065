"""Where the link stage's per-chunk work runs: this process, or a Dask cluster.

The link stage is a map over payroll chunks (draw, compare and count pairs; later score and
assign them) with reductions in between (EM on the summed pattern counts; the records each
taxpayer's links own). An engine runs the maps. ``LocalEngine`` calls the function on
threads; ``DaskEngine`` broadcasts the shared tables, the TF tables and the
fitted model once, keeps each chunk's compared pairs on the worker that made them, and
brings back only what the driver reduces. Both give the same results, pair for pair.

A cluster deployed with Dask's own tools (``dask-kubernetes``, ``dask-yarn``, ``dask-ssh``,
``dask scheduler`` / ``dask worker``) is used through its scheduler address; each worker
needs this package installed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, Protocol

from linkage.errors import ConfigError

ENGINES = ("local", "dask")


class Engine(Protocol):
    """Runs ``function(item, **shared)`` for every item; results stay where they were made."""

    def map(self, function: Callable[..., Any], items: Sequence[Any], **shared: Any) -> list[Any]:
        """Handles of the results, in item order (the results themselves, locally)."""
        ...

    def gather(self, handles: list[Any]) -> list[Any]:
        """The results behind ``handles``, in order, in this process."""
        ...


class LocalEngine:
    """In this process, on ``threads`` threads sharing its tables, results in chunk order.

    Threads, not processes: the chunk work is numpy and rapidfuzz, which release the GIL,
    and threads read the tables where they are, where processes would need them copied.
    """

    def __init__(self, threads: int = 1) -> None:
        self.threads = max(threads, 1)

    def map(self, function: Callable[..., Any], items: Sequence[Any], **shared: Any) -> list[Any]:
        """The results, computed now."""
        if self.threads == 1 or len(items) < 2:
            return [function(item, **shared) for item in items]
        with ThreadPoolExecutor(self.threads) as pool:
            return list(pool.map(lambda item: function(item, **shared), items))

    def gather(self, handles: list[Any]) -> list[Any]:
        """The results, as they are."""
        return handles


class DaskEngine:
    """On a Dask cluster: an existing one by address, else a LocalCluster of processes."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def map(self, function: Callable[..., Any], items: Sequence[Any], **shared: Any) -> list[Any]:
        """Futures of the results; shared values are sent to every worker once.

        Each value is scattered inside a list: ``scatter`` reads a bare dict as many named
        values, not as one.
        """
        scattered = {
            name: value if _is_future(value) else self.client.scatter([value], broadcast=True)[0]
            for name, value in shared.items()
        }
        futures: list[Any] = self.client.map(function, list(items), pure=False, **scattered)
        return futures

    def gather(self, handles: list[Any]) -> list[Any]:
        """The futures' results, fetched to this process."""
        results: list[Any] = self.client.gather(handles)
        return results


def _is_future(value: Any) -> bool:
    from distributed import Future

    return isinstance(value, Future)


@contextmanager
def open_engine(
    name: str, *, scheduler: str | None, workers: int, timeout: float = 10.0
) -> Iterator[Engine]:
    """The engine ``name``; a LocalCluster it starts is closed on exit.

    ``timeout``: seconds to wait for the scheduler at ``scheduler`` before refusing.

    Raises:
        ConfigError: an unknown engine, Dask not installed, or no scheduler at the address.
    """
    if name == "local":
        yield LocalEngine(threads=workers)
        return
    if name != "dask":
        msg = f"[link].engine: {name!r} is not one of {ENGINES}"
        raise ConfigError(msg)
    try:
        from distributed import Client, LocalCluster
    except ImportError as e:
        msg = "--engine dask needs Dask: pip install 'linkage[dask]'"
        raise ConfigError(msg) from e
    if scheduler:
        try:
            client = Client(scheduler, timeout=timeout)  # type: ignore[no-untyped-call]
        except OSError as e:
            msg = f"--scheduler {scheduler}: no Dask scheduler answers there ({e})"
            raise ConfigError(msg) from e
        with client:
            yield DaskEngine(client)
        return
    # A free port of the system's choosing: with None the scheduler still binds 8787, and
    # warns (an error under -W error) when another cluster holds it.
    cluster = LocalCluster(  # type: ignore[no-untyped-call]
        n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0"
    )
    with cluster, Client(cluster) as client:  # type: ignore[no-untyped-call]
        yield DaskEngine(client)

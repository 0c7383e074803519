"""The one place that decides where work runs: in this process, a local process pool, or a
Dask cluster when a scheduler address is given. Sweeps, benchmarks and meta-dataset labelling
go through `run_tasks`; nothing else spawns processes.

Each worker is capped to `threads` BLAS/OpenMP threads: two workers that each use every core
slow each other 10-20x on a small machine, so by default workers x threads = cores.
"""

from __future__ import annotations

import os
import re
import sys
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator

from .errors import ParameterError

_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS")


@dataclass
class TaskResult:
    index: int
    value: Any = None
    error: str | None = None  # "ExceptionType: message" when the task raised

    @property
    def ok(self) -> bool:
        return self.error is None


def cap_threads(threads: int) -> None:
    """Limit numeric libraries in this process to `threads` threads."""
    for var in _THREAD_VARS:
        os.environ[var] = str(threads)
    from threadpoolctl import threadpool_limits

    threadpool_limits(threads)
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(threads)


def _guarded(fn: Callable, index: int, item: Any) -> TaskResult:
    try:
        return TaskResult(index, fn(item))
    except Exception as exc:  # a failing task is a result to report, not a crash of the run
        message = str(exc).splitlines()[0] if str(exc) else ""
        return TaskResult(index, error=f"{type(exc).__name__}: {message}"[:500])


def _dask_task(fn, index, item, threads):
    cap_threads(threads)
    return _guarded(fn, index, item)


def default_workers() -> int:
    return max(1, os.cpu_count() or 1)


def run_tasks(fn: Callable[[Any], Any], items: Iterable[Any], *, backend: str = "processes",
              workers: int | None = None, threads: int = 1, progress: str | None = None) -> Iterator[TaskResult]:
    """Apply `fn` to every item; yield `TaskResult`s as they finish (not in order).

    backend: `serial` (this process), `processes` (a local pool of `workers`), or a Dask
    scheduler address such as `tcp://10.0.0.5:8786`. `fn` must be importable by name (a
    module-level function) for the pool and Dask. `progress` shows a bar with that label.
    """
    items = list(items)
    bar = _Progress(progress, len(items)) if progress else None
    try:
        for result in _dispatch(fn, items, backend, workers, threads):
            if bar:
                bar.advance(result)
            yield result
    finally:
        if bar:
            bar.close()


def _dispatch(fn, items, backend, workers, threads) -> Iterator[TaskResult]:
    if backend == "serial" or (backend == "processes" and (workers == 1 or len(items) <= 1)):
        for i, item in enumerate(items):
            yield _guarded(fn, i, item)
        return
    if backend == "processes":
        import multiprocessing as mp

        workers = workers or default_workers()
        # spawn, not fork: a forked child inherits the parent's thread pools and locks.
        with ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn"), initializer=cap_threads,
                                 initargs=(threads,)) as pool:
            pending = {pool.submit(_guarded, fn, i, item) for i, item in enumerate(items)}
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    yield future.result()
        return
    if backend.startswith(("tcp://", "tls://", "ucx://", "inproc://")) or re.fullmatch(r"[\w.-]+:\d+", backend):
        from distributed import Client, as_completed

        with Client(backend) as client:
            futures = [client.submit(_dask_task, fn, i, item, threads, pure=False) for i, item in enumerate(items)]
            for future in as_completed(futures):
                yield future.result()
        return
    raise ParameterError(f"backend={backend!r} is not allowed; choose serial, processes, or a Dask scheduler "
                         "address such as tcp://HOST:8786")


class _Progress:
    """A Rich progress bar with counts, failures and time left, on stderr."""

    def __init__(self, label: str, total: int):
        from rich.console import Console
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                                   TimeRemainingColumn)

        self.failed = 0
        self.progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("{task.fields[failed]} failed"), TimeElapsedColumn(),
                                 TimeRemainingColumn(), console=Console(stderr=True), transient=False)
        self.progress.start()
        self.task = self.progress.add_task(label, total=total, failed=0)

    def advance(self, result: TaskResult) -> None:
        self.failed += not result.ok
        self.progress.update(self.task, advance=1, failed=self.failed)

    def close(self) -> None:
        self.progress.stop()

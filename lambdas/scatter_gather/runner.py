"""Running a task over the items of one batch: bounded concurrency, per-item outcomes and a
deadline. I/O-bound tasks run in threads; CPU-bound tasks in worker processes (``Process``
and ``Pipe``: Lambda has no /dev/shm, so ``multiprocessing.Pool``, ``Queue`` and
``ProcessPoolExecutor`` fail there)."""

from __future__ import annotations

import json
import multiprocessing
import os
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any, Protocol

from . import limits, store
from .models import ItemError, ItemOutcome, WorkItem
from .tasks import Task, TaskContext

DEADLINE_ERROR = "DeadlineExceeded"


def execute_one(task: Task[Any], params: Any, ctx: TaskContext, work: WorkItem) -> ItemOutcome:
    """Runs the task on one item; every exception becomes a failed outcome."""
    started = time.perf_counter()
    try:
        result = task.run(work.item, params, ctx)
        encoded = store.dumps(result)
        if len(encoded) > limits.MAX_RESULT_BYTES:
            raise ValueError(
                f"result is {len(encoded):,} bytes, over the {limits.MAX_RESULT_BYTES:,}-byte "
                "limit for one item; store large outputs in S3 and return their key"
            )
        result = json.loads(encoded)
    except Exception as exc:
        error = ItemError(
            type=type(exc).__name__,
            message=str(exc)[:1000] or type(exc).__name__,
            retryable=isinstance(exc, task.retryable),
        )
        return ItemOutcome(index=work.index, ok=False, error=error, duration_ms=_ms_since(started))
    return ItemOutcome(index=work.index, ok=True, result=result, duration_ms=_ms_since(started))


def _ms_since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)


@dataclass(frozen=True)
class BatchRun:
    outcomes: list[ItemOutcome]
    stopped_for_deadline: bool


class _Lanes(Protocol):
    def has_room(self) -> bool: ...
    def start(self, work: WorkItem) -> None: ...
    def collect(self, timeout: float) -> list[ItemOutcome]: ...
    def in_flight(self) -> list[WorkItem]: ...
    def close(self) -> None: ...


class _ThreadLanes:
    """Daemon threads, so an item abandoned at the deadline never blocks the process exit."""

    def __init__(self, count: int, call: Callable[[WorkItem], ItemOutcome]) -> None:
        self._inbox: queue.Queue[WorkItem | None] = queue.Queue()
        self._outbox: queue.Queue[ItemOutcome] = queue.Queue()
        self._running: dict[int, WorkItem] = {}
        self._count = count
        self._threads = [
            threading.Thread(target=self._loop, args=(call,), daemon=True) for _ in range(count)
        ]
        for thread in self._threads:
            thread.start()

    def _loop(self, call: Callable[[WorkItem], ItemOutcome]) -> None:
        while (work := self._inbox.get()) is not None:
            self._outbox.put(call(work))

    def has_room(self) -> bool:
        return len(self._running) < self._count

    def start(self, work: WorkItem) -> None:
        self._running[work.index] = work
        self._inbox.put(work)

    def collect(self, timeout: float) -> list[ItemOutcome]:
        done = []
        try:
            done.append(self._outbox.get(timeout=timeout))
            while True:
                done.append(self._outbox.get_nowait())
        except queue.Empty:
            pass
        for outcome in done:
            self._running.pop(outcome.index, None)
        return done

    def in_flight(self) -> list[WorkItem]:
        return list(self._running.values())

    def close(self) -> None:
        for _ in self._threads:
            self._inbox.put(None)


def _process_lane(conn: Connection, call: Callable[[WorkItem], ItemOutcome]) -> None:
    while True:
        message = conn.recv()
        if message is None:
            return
        conn.send(call(WorkItem.model_validate(message)).model_dump())


class _ProcessLanes:
    """One forked process per lane, fed through its own Pipe."""

    def __init__(self, count: int, call: Callable[[WorkItem], ItemOutcome]) -> None:
        context = multiprocessing.get_context("fork")
        self._idle: list[Connection] = []
        self._busy: dict[Connection, WorkItem] = {}
        self._procs: dict[Connection, multiprocessing.process.BaseProcess] = {}
        for _ in range(count):
            parent, child = context.Pipe()
            proc = context.Process(target=_process_lane, args=(child, call), daemon=True)
            proc.start()
            child.close()
            self._idle.append(parent)
            self._procs[parent] = proc

    def has_room(self) -> bool:
        return bool(self._idle)

    def start(self, work: WorkItem) -> None:
        conn = self._idle.pop()
        conn.send(work.model_dump())
        self._busy[conn] = work

    def collect(self, timeout: float) -> list[ItemOutcome]:
        done = []
        for ready in wait(list(self._busy), timeout=timeout):
            assert isinstance(ready, Connection)
            work = self._busy.pop(ready)
            try:
                done.append(ItemOutcome.model_validate(ready.recv()))
                self._idle.append(ready)
            except EOFError:  # the lane's process died with this item (segfault, OOM kill)
                code = self._procs[ready].exitcode
                error = ItemError(type="WorkerProcessDied", message=f"exit code {code}")
                done.append(ItemOutcome(index=work.index, ok=False, error=error))
        return done

    def in_flight(self) -> list[WorkItem]:
        return list(self._busy.values())

    def close(self) -> None:
        for conn, proc in self._procs.items():
            if conn in self._busy or not proc.is_alive():
                proc.kill()
            else:
                try:
                    conn.send(None)
                except (BrokenPipeError, OSError):
                    proc.kill()
        for proc in self._procs.values():
            proc.join(timeout=5)
            if proc.is_alive():
                proc.kill()


def run_batch(
    items: Sequence[WorkItem],
    call: Callable[[WorkItem], ItemOutcome],
    *,
    concurrency: int,
    cpu_bound: bool,
    time_left_ms: Callable[[], float],
    reserve_ms: float,
) -> BatchRun:
    """Runs ``call`` on every item with at most ``concurrency`` at once.

    No item starts with less than ``reserve_ms`` left; items still running when half of
    that reserve is left are abandoned. Both kinds come back as ``DeadlineExceeded``
    outcomes (retryable), so the caller can write results before Lambda's timeout."""
    if cpu_bound:
        lanes: _Lanes = _ProcessLanes(min(concurrency, os.cpu_count() or 1, len(items)), call)
    else:
        lanes = _ThreadLanes(min(concurrency, len(items)), call)
    pending = deque(items)
    outcomes: dict[int, ItemOutcome] = {}
    stopped = False
    try:
        while pending or lanes.in_flight():
            while pending and lanes.has_room() and not stopped:
                if time_left_ms() <= reserve_ms:
                    stopped = True
                    break
                lanes.start(pending.popleft())
            if not lanes.in_flight():
                break
            wait_ms = time_left_ms() - reserve_ms / 2
            if wait_ms <= 0:  # abandon what is still running; keep time to write results
                break
            for outcome in lanes.collect(timeout=max(0.0, min(wait_ms, 250.0)) / 1000):
                outcomes[outcome.index] = outcome
    finally:
        lanes.close()
    left = time_left_ms()
    for work in [*lanes.in_flight(), *pending]:
        message = (
            f"not finished before the worker's deadline ({left:.0f} ms left of the function "
            "timeout); lower options.batch_size or raise the worker's timeout"
        )
        outcomes[work.index] = ItemOutcome(
            index=work.index,
            ok=False,
            error=ItemError(type=DEADLINE_ERROR, message=message, retryable=True),
        )
    ordered = [outcomes[work.index] for work in items]
    return BatchRun(outcomes=ordered, stopped_for_deadline=stopped or bool(lanes.in_flight()))

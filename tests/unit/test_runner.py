from __future__ import annotations

import os
import threading
import time

from scatter_gather.models import ItemOutcome, WorkItem
from scatter_gather.runner import DEADLINE_ERROR, execute_one, run_batch
from scatter_gather.tasks import Task, TaskContext, TaskParams


def items(n):
    return [WorkItem(index=i, item=i) for i in range(n)]


def plenty_of_time():
    return 60_000.0


class Concurrency:
    def __init__(self):
        self.lock = threading.Lock()
        self.now = 0
        self.peak = 0

    def call(self, work: WorkItem) -> ItemOutcome:
        with self.lock:
            self.now += 1
            self.peak = max(self.peak, self.now)
        time.sleep(0.02)
        with self.lock:
            self.now -= 1
        return ItemOutcome(index=work.index, ok=True, result=work.item * 2)


def test_threads_never_exceed_the_concurrency_bound():
    probe = Concurrency()
    run = run_batch(
        items(40),
        probe.call,
        concurrency=4,
        cpu_bound=False,
        time_left_ms=plenty_of_time,
        reserve_ms=1000,
    )
    assert probe.peak == 4
    assert [o.result for o in run.outcomes] == [i * 2 for i in range(40)]
    assert not run.stopped_for_deadline


def _pid_of(work: WorkItem) -> ItemOutcome:
    time.sleep(0.05)
    return ItemOutcome(index=work.index, ok=True, result=os.getpid())


def test_cpu_bound_items_run_in_separate_processes():
    run = run_batch(
        items(8),
        _pid_of,
        concurrency=8,
        cpu_bound=True,
        time_left_ms=plenty_of_time,
        reserve_ms=1000,
    )
    pids = {o.result for o in run.outcomes}
    assert os.getpid() not in pids
    assert 1 <= len(pids) <= (os.cpu_count() or 1)
    assert all(o.ok for o in run.outcomes)


def _die_on_three(work: WorkItem) -> ItemOutcome:
    if work.index == 3:
        os._exit(9)
    return ItemOutcome(index=work.index, ok=True, result=work.index)


def test_a_dying_worker_process_fails_only_its_item():
    run = run_batch(
        items(6),
        _die_on_three,
        concurrency=2,
        cpu_bound=True,
        time_left_ms=plenty_of_time,
        reserve_ms=1000,
    )
    failed = [o for o in run.outcomes if not o.ok]
    assert [(o.index, o.error.type) for o in failed] == [(3, "WorkerProcessDied")]


def test_deadline_stops_new_items_and_abandons_slow_ones():
    start = time.monotonic()

    def time_left():  # a 1.5 s "function timeout"
        return 1500 - (time.monotonic() - start) * 1000

    def call(work: WorkItem) -> ItemOutcome:
        time.sleep(5 if work.index == 0 else 0.1)
        return ItemOutcome(index=work.index, ok=True, result=1)

    run = run_batch(
        items(50), call, concurrency=2, cpu_bound=False, time_left_ms=time_left, reserve_ms=600
    )
    elapsed = time.monotonic() - start
    assert elapsed < 1.5, "returned before the timeout, with time to write results"
    assert run.stopped_for_deadline
    by_index = {o.index: o for o in run.outcomes}
    assert by_index[0].error.type == DEADLINE_ERROR  # in flight, abandoned
    assert by_index[49].error.type == DEADLINE_ERROR  # never started
    assert by_index[49].error.retryable
    assert any(o.ok for o in run.outcomes)
    assert len(run.outcomes) == 50


class Flaky(Exception):
    pass


class _P(TaskParams):
    pass


def _task(fn, retryable=(Flaky,)):
    return Task(name="t", description="", params_model=_P, run=fn, retryable=retryable)


def test_execute_one_turns_exceptions_into_named_errors():
    ctx = TaskContext(run_id="r", bucket="b", attempt=0)

    def boom(item, params, ctx):
        raise Flaky("try later") if item == "flaky" else KeyError("missing")

    flaky = execute_one(_task(boom), _P(), ctx, WorkItem(index=0, item="flaky"))
    assert (flaky.error.type, flaky.error.message, flaky.error.retryable) == (
        "Flaky",
        "try later",
        True,
    )
    perm = execute_one(_task(boom), _P(), ctx, WorkItem(index=1, item="x"))
    assert (perm.error.type, perm.error.retryable) == ("KeyError", False)


def test_execute_one_rejects_huge_or_non_json_results():
    ctx = TaskContext(run_id="r", bucket="b", attempt=0)
    huge = execute_one(_task(lambda i, p, c: "x" * 70_000), _P(), ctx, WorkItem(index=0, item=1))
    assert huge.error.type == "ValueError" and "over the 65,536-byte limit" in huge.error.message
    odd = execute_one(_task(lambda i, p, c: object()), _P(), ctx, WorkItem(index=0, item=1))
    assert odd.error.type == "TypeError"


def test_deadline_abandons_items_in_flight_even_when_none_are_waiting():
    start = time.monotonic()

    def time_left():
        return 1000 - (time.monotonic() - start) * 1000

    def call(work: WorkItem) -> ItemOutcome:
        time.sleep(5 if work.index == 1 else 0.01)
        return ItemOutcome(index=work.index, ok=True, result=1)

    run = run_batch(
        items(3), call, concurrency=3, cpu_bound=False, time_left_ms=time_left, reserve_ms=400
    )
    assert time.monotonic() - start < 1.0
    assert [o.ok for o in run.outcomes] == [True, False, True]
    assert run.stopped_for_deadline


def _sleep_forever_on_one(work: WorkItem) -> ItemOutcome:
    time.sleep(60 if work.index == 0 else 0.01)
    return ItemOutcome(index=work.index, ok=True, result=1)


def test_deadline_kills_stuck_worker_processes():
    start = time.monotonic()
    run = run_batch(
        items(4),
        _sleep_forever_on_one,
        concurrency=2,
        cpu_bound=True,
        time_left_ms=lambda: 1500 - (time.monotonic() - start) * 1000,
        reserve_ms=600,
    )
    assert time.monotonic() - start < 2.0
    assert run.outcomes[0].error.type == DEADLINE_ERROR
    assert all(o.ok for o in run.outcomes[1:])

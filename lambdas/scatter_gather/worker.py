"""Worker: one batch. Reads its items, skips those a previous attempt already finished,
runs the rest, writes ``results/<batch_id>.jsonl`` (same key on every attempt, so retries
are idempotent) and returns a tiny status."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from functools import lru_cache, partial
from typing import Any

from . import store
from .errors import InvalidInput, RetryableBatchError
from .layout import RunLayout
from .models import BatchHeader, ItemOutcome, RunRecord, WorkerEvent, WorkerStatus, WorkItem
from .runner import DEADLINE_ERROR, execute_one, run_batch
from .tasks import TaskContext, get_task


@lru_cache(maxsize=16)
def run_record(s3: Any, bucket: str, run_id: str) -> RunRecord:
    """The run's record, read once per warm environment: it is written once, when prepare
    claims the run, and every batch of the run needs it."""
    return RunRecord.model_validate(store.get_json(s3, bucket, RunLayout(run_id).claim))


def read_batch_items(s3: Any, event: WorkerEvent) -> list[WorkItem]:
    layout = RunLayout(event.run_id)
    body = store.get_bytes(s3, event.bucket, layout.items, (event.batch.start, event.batch.end))
    items = [WorkItem.model_validate_json(line) for line in body.splitlines() if line]
    if len(items) != event.batch.items:
        raise InvalidInput(
            f"batch {event.batch.batch_id} expected {event.batch.items} items, read {len(items)}"
        )
    return items


def read_previous_successes(s3: Any, bucket: str, key: str) -> dict[int, ItemOutcome]:
    """Outcomes a previous attempt wrote for items that succeeded; unreadable files are
    treated as absent (the batch simply runs again)."""
    try:
        body = store.get_bytes(s3, bucket, key)
    except Exception:
        return {}
    done = {}
    for line in body.splitlines()[1:]:
        try:
            outcome = ItemOutcome.model_validate_json(line)
        except ValueError:
            continue
        if outcome.ok:
            done[outcome.index] = outcome
    return done


def process_batch(
    event: WorkerEvent,
    s3: Any,
    s3_factory: Callable[[], Any],
    time_left_ms: Callable[[], float],
    reserve_ms: float,
) -> WorkerStatus:
    started = time.perf_counter()
    # Never keep back more than a quarter of the time we have, or a short timeout would
    # leave no time to start any item.
    reserve_ms = min(reserve_ms, time_left_ms() / 4)
    layout = RunLayout(event.run_id)
    record = run_record(s3, event.bucket, event.run_id)
    task = get_task(record.task)
    params = task.parse_params(record.params)
    items = read_batch_items(s3, event)
    result_key = layout.result(event.batch.batch_id)
    previous = read_previous_successes(s3, event.bucket, result_key) if event.attempt else {}
    todo = [work for work in items if work.index not in previous]

    ctx = TaskContext(
        run_id=event.run_id, bucket=event.bucket, attempt=event.attempt, s3_factory=s3_factory
    )
    run = run_batch(
        todo,
        partial(execute_one, task, params, ctx),
        concurrency=record.options.item_concurrency,
        cpu_bound=task.cpu_bound(params),
        time_left_ms=time_left_ms,
        reserve_ms=reserve_ms,
    )
    fresh = {outcome.index: outcome for outcome in run.outcomes}
    outcomes = [previous.get(work.index) or fresh[work.index] for work in items]
    unprocessed = sum(1 for o in outcomes if o.error and o.error.type == DEADLINE_ERROR)
    failed = sum(1 for o in outcomes if not o.ok)
    header = BatchHeader(
        batch_id=event.batch.batch_id,
        attempt=event.attempt,
        items=len(items),
        succeeded=len(items) - failed,
        failed=failed - unprocessed,
        unprocessed=unprocessed,
        duration_ms=round((time.perf_counter() - started) * 1000, 3),
        stopped_for_deadline=run.stopped_for_deadline,
    )
    body = store.jsonl(
        [header.model_dump(), *(o.model_dump(exclude_defaults=False) for o in outcomes)]
    )
    s3.put_object(
        Bucket=event.bucket, Key=result_key, Body=body, ContentType="application/x-ndjson"
    )

    retryable = [o for o in outcomes if o.error and o.error.retryable]
    if retryable:
        first = retryable[0].error
        assert first is not None
        raise RetryableBatchError(
            f"{len(retryable)} of {len(items)} items failed with retryable errors "
            f"(first: {first.type}: {first.message}); results so far are saved and kept"
        )
    return WorkerStatus(
        batch_id=event.batch.batch_id,
        succeeded=header.succeeded,
        failed=header.failed,
        unprocessed=header.unprocessed,
    )


def parse_results(body: bytes) -> tuple[BatchHeader | None, list[ItemOutcome], int]:
    """A result object's header, outcomes and number of unreadable lines."""
    lines = [line for line in body.splitlines() if line.strip()]
    header = None
    outcomes: list[ItemOutcome] = []
    bad = 0
    for number, line in enumerate(lines):
        try:
            data = json.loads(line)
            if number == 0 and "batch_id" in data:
                header = BatchHeader.model_validate(data)
            else:
                outcomes.append(ItemOutcome.model_validate(data))
        except ValueError:
            bad += 1
    return header, outcomes, bad

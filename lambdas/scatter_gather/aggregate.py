"""Aggregate: reconcile the batch manifest against result and failure objects so every item
is counted exactly once - succeeded, failed (with its error) or lost (its batch left
neither object) - and write the report and the merged results. Re-running it gives the
same report: it only reads what the run wrote and writes the same two keys."""

from __future__ import annotations

import json
import os
import statistics
import tempfile
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from . import store
from .errors import InvalidInput
from .layout import RunLayout
from .models import BatchHeader, BatchRef, ItemError, ItemOutcome, RunRecord, WorkItem
from .tasks import get_task
from .worker import parse_results

READ_CONCURRENCY = 16
TOP_ERRORS = 20


@dataclass
class BatchEvidence:
    ref: BatchRef
    header: BatchHeader | None = None
    outcomes: list[ItemOutcome] = field(default_factory=list)
    failure: dict[str, Any] | None = None
    corrupt_lines: int = 0
    unreadable: str | None = None


def _failure_error(failure: dict[str, Any]) -> ItemError:
    """The batch-level error Step Functions caught (the Catch put it at ``$.error``), as one
    item error."""
    caught: dict[str, Any] = failure["error"] if isinstance(failure.get("error"), dict) else {}
    error_type = str(caught.get("Error") or "BatchFailed")
    cause = caught.get("Cause") or ""
    message = cause
    try:  # a Lambda error's Cause is its JSON error payload
        payload = json.loads(cause)
        if isinstance(payload, dict) and payload.get("errorMessage"):
            message = str(payload["errorMessage"])
    except (TypeError, ValueError):
        pass
    return ItemError(type=error_type, message=message[:1000] or error_type)


def _collect(s3: Any, bucket: str, layout: RunLayout, ref: BatchRef) -> BatchEvidence:
    evidence = BatchEvidence(ref=ref)
    try:
        body = store.get_bytes(s3, bucket, layout.result(ref.batch_id))
        evidence.header, evidence.outcomes, evidence.corrupt_lines = parse_results(body)
    except ClientError as exc:
        if not store.is_missing(exc):
            evidence.unreadable = f"{store.error_code(exc)}: {exc}"
    seen = {o.index for o in evidence.outcomes}
    if evidence.header is None or len(seen) < ref.items:
        try:
            evidence.failure = store.get_json_or_none(s3, bucket, layout.failure(ref.batch_id))
        except (ClientError, ValueError) as exc:
            evidence.unreadable = f"failure record unreadable: {exc}"
    return evidence


def _percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    ordered = sorted(values)

    def at(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))], 1)

    return {
        "p50": at(0.5),
        "p90": at(0.9),
        "max": round(ordered[-1], 1),
        "mean": round(statistics.fmean(ordered), 1),
    }


def aggregate_run(s3: Any, bucket: str, run_id: str) -> dict[str, Any]:
    """Writes the report and merged results; returns the report."""
    layout = RunLayout(run_id)
    record_json = store.get_json_or_none(s3, bucket, layout.claim)
    if record_json is None:
        raise InvalidInput(f"run {run_id!r} does not exist in bucket {bucket!r}")
    record = RunRecord.model_validate(record_json)
    refs = [BatchRef.model_validate(r) for r in store.get_json(s3, bucket, layout.batches)]
    items_body = store.get_bytes(s3, bucket, layout.items)

    with ThreadPoolExecutor(READ_CONCURRENCY) as pool:
        evidence = list(pool.map(lambda ref: _collect(s3, bucket, layout, ref), refs))

    counts: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    examples: dict[str, dict[str, Any]] = {}
    anomalies: Counter[str] = Counter()
    unreadable: list[str] = []
    succeeded_pairs: list[tuple[Any, Any]] = []
    durations: list[float] = []

    with tempfile.NamedTemporaryFile("w+b", suffix=".jsonl", delete=False) as merged:
        for ev in evidence:
            expected = [
                WorkItem.model_validate_json(line)
                for line in items_body[ev.ref.start : ev.ref.end + 1].splitlines()
                if line
            ]
            by_index: dict[int, ItemOutcome] = {}
            for seen in ev.outcomes:
                if seen.index in by_index:
                    anomalies["duplicate_outcomes"] += 1
                by_index[seen.index] = seen
            expected_indexes = {w.index for w in expected}
            anomalies["unexpected_outcomes"] += len(set(by_index) - expected_indexes)
            anomalies["corrupt_result_lines"] += ev.corrupt_lines
            if ev.unreadable:
                unreadable.append(f"{ev.ref.batch_id}: {ev.unreadable}")
            if ev.header:
                durations.append(ev.header.duration_ms)
                anomalies["batches_retried"] += ev.header.attempt > 0
                anomalies["batches_stopped_for_deadline"] += ev.header.stopped_for_deadline
            batch_error = _failure_error(ev.failure) if ev.failure else None
            anomalies["batches_with_failure_record"] += ev.failure is not None

            for work in expected:
                outcome = by_index.get(work.index)
                line: dict[str, Any] = {
                    "index": work.index,
                    "item": work.item,
                    "batch_id": ev.ref.batch_id,
                }
                if outcome is not None and outcome.ok:
                    status = "succeeded"
                    line["result"] = outcome.result
                    succeeded_pairs.append((work.item, outcome.result))
                elif outcome is not None or batch_error is not None:
                    status = "failed"
                    error = outcome.error if outcome is not None else batch_error
                    assert error is not None
                    line["error"] = error.model_dump()
                    errors[error.type] += 1
                    examples.setdefault(error.type, {"message": error.message, "item": work.item})
                else:
                    status = "lost"
                    line["error"] = {
                        "type": "Lost",
                        "message": "its batch wrote no result and no failure record",
                    }
                counts[status] += 1
                line["status"] = status
                merged.write((store.dumps(line) + "\n").encode())
        merged_path = merged.name
    try:
        s3.upload_file(
            merged_path,
            bucket,
            layout.merged_results,
            ExtraArgs={"ContentType": "application/x-ndjson"},
        )
    finally:
        os.unlink(merged_path)

    total = record.item_count
    not_ok = counts["failed"] + counts["lost"]
    failure_percent = round(100.0 * not_ok / total, 4) if total else 0.0
    task = get_task(record.task)
    task_summary = task.summarize(succeeded_pairs) if task.summarize else {}
    report: dict[str, Any] = {
        "run_id": run_id,
        "execution_name": record.execution_name,
        "task": record.task,
        "status": "succeeded"
        if failure_percent <= record.options.max_failure_percent
        else "failed",
        "items": {
            "total": total,
            "succeeded": counts["succeeded"],
            "failed": counts["failed"],
            "lost": counts["lost"],
        },
        "failure_percent": failure_percent,
        "max_failure_percent": record.options.max_failure_percent,
        "batches": {
            "total": len(refs),
            "with_results": sum(1 for ev in evidence if ev.header is not None),
            "with_failure_record": anomalies["batches_with_failure_record"],
            "lost": sum(1 for ev in evidence if ev.header is None and ev.failure is None),
            "retried": anomalies["batches_retried"],
            "stopped_for_deadline": anomalies["batches_stopped_for_deadline"],
            "duration_ms": _percentiles(durations),
        },
        "errors": [
            {"type": name, "count": count, **examples[name]}
            for name, count in errors.most_common(TOP_ERRORS)
        ],
        "anomalies": {
            "duplicate_outcomes": anomalies["duplicate_outcomes"],
            "unexpected_outcomes": anomalies["unexpected_outcomes"],
            "corrupt_result_lines": anomalies["corrupt_result_lines"],
            "unreadable_objects": unreadable[:50],
        },
        "task_summary": task_summary,
        "locations": {
            "report": f"s3://{bucket}/{layout.report}",
            "results": f"s3://{bucket}/{layout.merged_results}",
        },
    }
    if sum(counts.values()) != total:
        report["anomalies"]["count_mismatch"] = f"{sum(counts.values())} counted, {total} expected"
    store.put_json(s3, bucket, layout.report, report)
    return report


def summarize_report(report: dict[str, Any]) -> dict[str, Any]:
    """The execution output: small whatever the run's size."""
    return {
        "run_id": report["run_id"],
        "status": report["status"],
        "items": report["items"],
        "failure_percent": report["failure_percent"],
        "max_failure_percent": report["max_failure_percent"],
        "top_errors": [{"type": e["type"], "count": e["count"]} for e in report["errors"][:3]],
        "report": report["locations"]["report"],
        "results": report["locations"]["results"],
    }

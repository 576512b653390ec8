"""Prepare -> worker -> aggregate as plain functions on moto S3 (no state machine)."""

from __future__ import annotations

import json

import pytest
from scatter_gather import store
from scatter_gather.aggregate import aggregate_run, summarize_report
from scatter_gather.errors import InvalidInput, RetryableBatchError
from scatter_gather.layout import RunLayout
from scatter_gather.models import BatchRef, WorkerEvent
from scatter_gather.prepare import prepare_run
from scatter_gather.worker import process_batch

from tests.conftest import BUCKET


def keys(s3, prefix="runs/"):
    return sorted(o["Key"] for o in store.list_objects(s3, BUCKET, prefix))


def simulate_input(n=20, batch_size=5, **params):
    return {
        "task": "simulate",
        "source": {"type": "inline", "items": [f"i{k}" for k in range(n)]},
        "params": {"distribution": "fixed", "median_ms": 0, **params},
        "options": {"batch_size": batch_size, "item_concurrency": 3},
    }


def run_workers(s3, run_id, attempt=0, only=None):
    refs = [
        BatchRef.model_validate(r) for r in store.get_json(s3, BUCKET, RunLayout(run_id).batches)
    ]
    outcomes = {}
    for ref in refs:
        if only and ref.batch_id not in only:
            continue
        event = WorkerEvent(run_id=run_id, bucket=BUCKET, batch=ref, attempt=attempt)
        try:
            outcomes[ref.batch_id] = process_batch(event, s3, lambda: s3, lambda: 60_000.0, 1000)
        except RetryableBatchError as exc:
            outcomes[ref.batch_id] = exc
    return refs, outcomes


def test_prepare_writes_claim_items_and_manifest(s3):
    summary = prepare_run(simulate_input(), "exec-1", s3, BUCKET)
    assert (summary.run_id, summary.item_count, summary.batch_count) == ("exec-1", 20, 4)
    assert keys(s3) == [
        "runs/exec-1/batches.json",
        "runs/exec-1/items.jsonl",
        "runs/exec-1/run.json",
    ]
    assert len(json.dumps(summary.model_dump())) < 400


@pytest.mark.parametrize(
    "bad",
    [
        {"task": "nope", "source": {"type": "inline", "items": [1]}},
        {"task": "simulate", "source": {"type": "inline", "items": [1]}, "params": {"median": 5}},
        {"task": "s3-digest", "source": {"type": "inline", "items": [42]}},
        {"task": "s3-digest", "source": {"type": "manifest", "key": "missing.json"}},
    ],
)
def test_rejected_runs_write_nothing(s3, bad):
    with pytest.raises(InvalidInput):
        prepare_run(bad, "exec-bad", s3, BUCKET)
    assert keys(s3) == []


def test_second_execution_for_a_run_id_is_a_duplicate_and_writes_nothing(s3):
    first = prepare_run({**simulate_input(), "run_id": "nightly"}, "exec-a", s3, BUCKET)
    before = {k: s3.get_object(Bucket=BUCKET, Key=k)["ETag"] for k in keys(s3)}
    second = prepare_run({**simulate_input(n=3), "run_id": "nightly"}, "exec-b", s3, BUCKET)
    assert not first.duplicate and second.duplicate
    assert {k: s3.get_object(Bucket=BUCKET, Key=k)["ETag"] for k in keys(s3)} == before
    # The owner retrying its own prepare (a Lambda service error) is not a duplicate.
    assert not prepare_run(
        {**simulate_input(), "run_id": "nightly"}, "exec-a", s3, BUCKET
    ).duplicate


def test_end_to_end_logic_counts_every_item_once(s3):
    prepare_run(simulate_input(n=23, batch_size=5, permanent_rate=0.2), "r1", s3, BUCKET)
    _refs, statuses = run_workers(s3, "r1")
    assert all(not isinstance(s, Exception) for s in statuses.values())
    report = aggregate_run(s3, BUCKET, "r1")
    items = report["items"]
    assert items["succeeded"] + items["failed"] + items["lost"] == 23
    assert items["failed"] == sum(s.failed for s in statuses.values()) > 0
    assert report["errors"][0]["type"] == "SimulatedPermanentError"
    assert report["status"] == "failed"  # default threshold 0 %
    lines = [
        json.loads(x)
        for x in store.get_bytes(s3, BUCKET, RunLayout("r1").merged_results).splitlines()
    ]
    assert sorted(x["index"] for x in lines) == list(range(23))
    assert len(json.dumps(summarize_report(report))) < 2048


def test_retryable_failures_raise_keep_successes_and_recover_on_retry(s3):
    prepare_run(simulate_input(n=10, batch_size=10, retryable_rate=0.5), "r2", s3, BUCKET)
    _, first = run_workers(s3, "r2", attempt=0)
    assert isinstance(first["b000000"], RetryableBatchError)
    layout = RunLayout("r2")
    saved = store.get_bytes(s3, BUCKET, layout.result("b000000")).splitlines()
    ok_before = {json.loads(line)["index"] for line in saved[1:] if json.loads(line)["ok"]}
    assert 0 < len(ok_before) < 10
    _, second = run_workers(s3, "r2", attempt=1)
    assert second["b000000"].succeeded == 10
    header = json.loads(store.get_bytes(s3, BUCKET, layout.result("b000000")).splitlines()[0])
    assert header["attempt"] == 1


def test_aggregate_reports_lost_failed_and_corrupt_batches_and_is_repeatable(s3):
    prepare_run(simulate_input(n=20, batch_size=5), "r3", s3, BUCKET)
    refs, _ = run_workers(s3, "r3", only={"b000000", "b000001"})
    layout = RunLayout("r3")
    # b000002: the state machine caught an error and recorded it; b000003: nothing at all.
    # Same shape as RecordFailure's States.JsonToString($) with the Catch's ResultPath $.error.
    store.put_json(
        s3,
        BUCKET,
        layout.failure("b000002"),
        {
            "run_id": "r3",
            "bucket": BUCKET,
            "batch": refs[2].model_dump(),
            "error": {
                "Error": "Sandbox.Timedout",
                "Cause": json.dumps(
                    {
                        "errorType": "Sandbox.Timedout",
                        "errorMessage": "Task timed out after 3.00 seconds",
                    }
                ),
            },
        },
    )
    # b000001's result object gets a corrupt line and a duplicate line.
    body = store.get_bytes(s3, BUCKET, layout.result("b000001")).splitlines()
    s3.put_object(
        Bucket=BUCKET,
        Key=layout.result("b000001"),
        Body=b"\n".join([*body, body[1], b"{oops"]) + b"\n",
    )

    report = aggregate_run(s3, BUCKET, "r3")
    assert report["items"] == {"total": 20, "succeeded": 10, "failed": 5, "lost": 5}
    assert report["errors"] == [
        {
            "type": "Sandbox.Timedout",
            "count": 5,
            "message": "Task timed out after 3.00 seconds",
            "item": report["errors"][0]["item"],
        }
    ]
    assert report["batches"]["lost"] == 1
    assert report["anomalies"]["duplicate_outcomes"] == 1
    assert report["anomalies"]["corrupt_result_lines"] == 1
    assert report == aggregate_run(s3, BUCKET, "r3"), (
        "re-running the aggregate gives the same report"
    )


def test_aggregate_of_unknown_run_is_invalid_input(s3):
    with pytest.raises(InvalidInput, match="does not exist"):
        aggregate_run(s3, BUCKET, "never")


def test_a_garbage_result_object_is_reported_not_fatal(s3):
    prepare_run(simulate_input(n=10, batch_size=5), "r4", s3, BUCKET)
    run_workers(s3, "r4")
    s3.put_object(
        Bucket=BUCKET, Key=RunLayout("r4").result("b000000"), Body=b"\x00\xff garbage \n not json\n"
    )
    report = aggregate_run(s3, BUCKET, "r4")
    assert report["items"] == {"total": 10, "succeeded": 5, "failed": 0, "lost": 5}
    assert report["anomalies"]["corrupt_result_lines"] == 2
    assert report["batches"]["lost"] == 1

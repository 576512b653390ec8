"""Whole executions of the real definition and handlers on the local engine."""

from __future__ import annotations

import csv
import io
import json
import time

import pytest

from tests.e2e.conftest import (
    RETRY_SCALE,
    assert_every_item_once,
    execute,
    merged_results,
    report_of,
    simulate,
)

pytestmark = pytest.mark.e2e


def test_inline_source_succeeds_with_small_output(engine, deployment):
    outcome = execute(engine, deployment, simulate(37, batch_size=4))
    assert outcome.status == "SUCCEEDED", outcome.description
    assert outcome.output["items"] == {"total": 37, "succeeded": 37, "failed": 0, "lost": 0}
    assert len(outcome.description["output"]) < 2048
    report = report_of(engine, deployment, outcome.run_id)
    assert report["batches"]["total"] == 10
    assert_every_item_once(merged_results(engine, deployment, outcome.run_id), 37)


def test_s3_prefix_source_digests_objects_and_finds_duplicates(engine, deployment):
    s3 = engine.client("s3")
    files = {
        "a.txt": b"one\ntwo\n",
        "b.txt": b"one\ntwo\n",
        "sub/c.csv": b"x,y\n1,2",
        "big.bin": b"\0" * 300_000,
    }
    for key, body in files.items():
        s3.put_object(Bucket=deployment.bucket, Key=f"audit-prefix/{key}", Body=body)
    outcome = execute(
        engine,
        deployment,
        {
            "task": "s3-digest",
            "source": {"type": "s3_prefix", "prefix": "audit-prefix/"},
            "options": {"batch_size": 2},
        },
    )
    assert outcome.status == "SUCCEEDED", outcome.description
    summary = report_of(engine, deployment, outcome.run_id)["task_summary"]
    assert summary["objects"] == 4 and summary["total_bytes"] == sum(map(len, files.values()))
    assert summary["largest"][0]["object"].endswith("big.bin")
    assert summary["duplicate_groups"][0]["objects"] == [
        f"s3://{deployment.bucket}/audit-prefix/a.txt",
        f"s3://{deployment.bucket}/audit-prefix/b.txt",
    ]
    by_key = {
        line["result"]["key"]: line["result"]
        for line in merged_results(engine, deployment, outcome.run_id)
    }
    assert by_key["audit-prefix/sub/c.csv"]["lines"] == 2


def test_manifest_source_csv_with_a_missing_object_fails_only_that_item(engine, deployment):
    s3 = engine.client("s3")
    for n in range(6):
        s3.put_object(
            Bucket=deployment.bucket, Key=f"manifest-data/{n}.txt", Body=f"line {n}\n".encode()
        )
    rows = io.StringIO()
    writer = csv.writer(rows)
    writer.writerow(["key", "size"])
    for n in range(7):  # object 6 does not exist
        writer.writerow([f"manifest-data/{n}.txt", 7])
    s3.put_object(
        Bucket=deployment.bucket, Key="manifests/objects.csv", Body=rows.getvalue().encode()
    )
    execution_input = {
        "task": "s3-digest",
        "source": {"type": "manifest", "key": "manifests/objects.csv"},
        "options": {"batch_size": 3, "max_failure_percent": 20},
    }
    outcome = execute(engine, deployment, execution_input)
    assert outcome.status == "SUCCEEDED", outcome.description
    report = report_of(engine, deployment, outcome.run_id)
    assert report["items"] == {"total": 7, "succeeded": 6, "failed": 1, "lost": 0}
    assert report["errors"][0]["type"] == "ObjectMissing"
    assert "manifest-data/6.txt does not exist" in report["errors"][0]["message"]


def test_retryable_failures_all_recover(engine, deployment):
    outcome = execute(engine, deployment, simulate(60, retryable_rate=0.3))
    assert outcome.status == "SUCCEEDED", outcome.description
    report = report_of(engine, deployment, outcome.run_id)
    assert report["items"]["succeeded"] == 60
    assert report["batches"]["retried"] > 0


def test_permanent_failures_are_counted_with_their_error(engine, deployment):
    outcome = execute(engine, deployment, simulate(50, permanent_rate=0.2, max_failure_percent=50))
    assert outcome.status == "SUCCEEDED", outcome.description
    report = report_of(engine, deployment, outcome.run_id)
    items = report["items"]
    assert items["failed"] > 0 and items["succeeded"] + items["failed"] == 50 and items["lost"] == 0
    assert report["errors"][0]["type"] == "SimulatedPermanentError"
    assert "permanently bad" in report["errors"][0]["message"]
    failed_lines = [
        line
        for line in merged_results(engine, deployment, outcome.run_id)
        if line["status"] == "failed"
    ]
    assert len(failed_lines) == items["failed"]
    assert report["batches"]["retried"] == 0, "permanent errors are not retried"


def test_failure_rate_over_threshold_fails_the_execution_after_writing_the_report(
    engine, deployment
):
    outcome = execute(engine, deployment, simulate(20, permanent_rate=0.5, max_failure_percent=10))
    assert outcome.status == "FAILED"
    assert outcome.description["error"] == "FailureThresholdExceeded"
    assert "over the max_failure_percent of 10.0" in outcome.description["cause"]
    assert report_of(engine, deployment, outcome.run_id)["status"] == "failed"


def test_worker_timeout_is_retried_and_recovers(engine, deployment, redeploy):
    redeploy({"worker": {"timeout_seconds": 2}})
    outcome = execute(engine, deployment, simulate(12, batch_size=3, timeout_rate=0.3))
    assert outcome.status == "SUCCEEDED", outcome.description
    assert outcome.output["items"]["succeeded"] == 12
    timeouts = [
        r for r in engine.runtime.reports if r.status == "timeout" and r.function.endswith("worker")
    ]
    assert timeouts and all(r.error_type == "Sandbox.Timedout" for r in timeouts)


def test_a_transient_worker_crash_is_retried_and_recovers(engine, deployment):
    outcome = execute(engine, deployment, simulate(30, batch_size=3, crash_rate=0.1))
    assert outcome.status == "SUCCEEDED", outcome.description
    assert outcome.output["items"]["succeeded"] == 30
    crashes = [r for r in engine.runtime.reports if r.status == "crash"]
    assert crashes and crashes[-1].error_type == "Runtime.ExitError"


def test_a_persistent_worker_crash_fails_its_batch_and_nothing_else(engine, deployment):
    outcome = execute(
        engine,
        deployment,
        simulate(30, batch_size=3, crash_rate=0.1, fault_attempts=99, max_failure_percent=100),
    )
    assert outcome.status == "SUCCEEDED", outcome.description
    report = report_of(engine, deployment, outcome.run_id)
    assert report["items"]["lost"] == 0
    assert report["items"]["failed"] > 0 and report["items"]["failed"] % 3 == 0, (
        "whole batches fail"
    )
    assert report["errors"][0]["type"] == "Runtime.ExitError"
    assert report["batches"]["with_failure_record"] == report["items"]["failed"] // 3
    assert_every_item_once(merged_results(engine, deployment, outcome.run_id), 30)


def test_throttling_from_the_concurrency_cap_is_absorbed_by_retries(engine, deployment, redeploy):
    redeploy({"worker": {"reserved_concurrency": 2}})
    # Backoff at 10 % (0.2 s, 0.4 s, ... capped at 3 s): enough for 10 children sharing 2 slots.
    engine.set_retry_scale(0.1)
    before = sum(1 for r in engine.runtime.reports if r.status == "throttled")
    execution_input = simulate(40, batch_size=2, median_ms=50)
    execution_input["options"]["max_concurrency"] = 10
    outcome = execute(engine, deployment, execution_input)
    assert outcome.status == "SUCCEEDED", outcome.description
    assert outcome.output["items"]["succeeded"] == 40
    engine.set_retry_scale(RETRY_SCALE)
    throttled = sum(1 for r in engine.runtime.reports if r.status == "throttled") - before
    assert throttled > 0, "the cap really throttled some invocations"


def test_items_that_miss_the_deadline_are_handed_back_and_reported(engine, deployment, redeploy):
    redeploy({"worker": {"timeout_seconds": 3, "environment": {"DEADLINE_RESERVE_MS": "1500"}}})
    outcome = execute(
        engine,
        deployment,
        simulate(8, batch_size=4, slow_rate=0.2, max_failure_percent=100, seed=1),
    )
    assert outcome.status == "SUCCEEDED", outcome.description
    report = report_of(engine, deployment, outcome.run_id)
    deadline = [e for e in report["errors"] if e["type"] == "DeadlineExceeded"]
    assert (
        deadline
        and "lower options.batch_size or raise the worker's timeout" in deadline[0]["message"]
    )
    assert report["items"]["lost"] == 0
    assert report["batches"]["stopped_for_deadline"] > 0
    worker_reports = [r for r in engine.runtime.reports if r.function.endswith("worker")]
    assert not any(r.status == "timeout" for r in worker_reports[-8:]), "handed back, never killed"


def test_invalid_input_fails_with_a_named_error_and_writes_nothing(engine, deployment):
    s3 = engine.client("s3")
    outcome = execute(
        engine,
        deployment,
        {
            "task": "simulate",
            "source": {"type": "inline", "items": [1]},
            "options": {"batch_size": 0},
            "run_id": "bad-run",
        },
    )
    assert outcome.status == "FAILED"
    assert outcome.description["error"] == "InvalidInput"
    assert outcome.description["cause"].startswith("invalid input: input.options.batch_size")
    assert (
        s3.list_objects_v2(Bucket=deployment.bucket, Prefix="runs/bad-run/").get("KeyCount", 0) == 0
    )


def test_second_execution_of_a_run_id_ends_cleanly_as_duplicate(engine, deployment):
    execution_input = {**simulate(6), "run_id": "tick-2026-11-23T10-00"}
    first = execute(engine, deployment, execution_input)
    second = execute(engine, deployment, execution_input)
    assert first.status == second.status == "SUCCEEDED"
    assert second.output["duplicate"] is True
    report = report_of(engine, deployment, "tick-2026-11-23T10-00")
    assert report["execution_name"] == first.description["name"]


def test_two_simultaneous_deliveries_of_one_tick_make_one_report(engine, deployment):
    sfn = engine.client("stepfunctions")
    execution_input = json.dumps({**simulate(8), "run_id": "scheduled-2026-11-23T06:00:00Z"})
    arns = [
        sfn.start_execution(
            stateMachineArn=deployment.state_machine_arn,
            name=f"tick-delivery-{n}",
            input=execution_input,
        )["executionArn"]
        for n in range(2)
    ]
    outputs = []
    for arn in arns:
        while (description := sfn.describe_execution(executionArn=arn))["status"] == "RUNNING":
            time.sleep(0.1)
        assert description["status"] == "SUCCEEDED", description
        outputs.append(json.loads(description["output"]))
    assert sorted(bool(o.get("duplicate")) for o in outputs) == [False, True]
    report = report_of(engine, deployment, "scheduled-2026-11-23T06:00:00Z")
    assert report["items"]["succeeded"] == 8
    assert report["execution_name"] in {"tick-delivery-0", "tick-delivery-1"}


def test_rerunning_the_aggregate_gives_the_same_report(engine, deployment):
    outcome = execute(engine, deployment, simulate(12, permanent_rate=0.3, max_failure_percent=100))
    first = report_of(engine, deployment, outcome.run_id)
    response = engine.client("lambda").invoke(
        FunctionName=deployment.function_names["aggregate"],
        Payload=json.dumps({"run_id": outcome.run_id, "bucket": deployment.bucket}).encode(),
    )
    assert "FunctionError" not in response, response["Payload"].read()
    assert report_of(engine, deployment, outcome.run_id) == first

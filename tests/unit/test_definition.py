"""The ASL file: valid before substitution, parsed by moto's interpreter after it, JSONPath
only, and retries shaped as DESIGN.md says."""

from __future__ import annotations

import json

import pytest
from moto.stepfunctions.parser.asl.parse.asl_parser import (
    AmazonStateLanguageParser,
    ASLParserException,
)

from stacks.workflow_spec import DEFINITION_FILE, render_definition, substitutions

ARNS = {
    k: f"arn:aws:lambda:us-east-1:123456789012:function:sg-{k}"
    for k in ("prepare", "worker", "aggregate")
}
LAMBDA_TRANSIENT = {
    "Lambda.ClientExecutionTimeoutException",
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
}


def states(definition):
    for name, state in definition["States"].items():
        yield name, state
        processor = state.get("ItemProcessor") or state.get("Iterator")
        if processor:
            yield from states(processor)


@pytest.fixture(scope="module")
def definition():
    return json.loads(render_definition(substitutions(ARNS, "run-bucket", "STANDARD")))


def test_file_is_valid_json_before_substitution():
    raw = json.loads(DEFINITION_FILE.read_text())
    assert raw["StartAt"] == "Prepare"


def test_substituted_definition_parses_in_moto():
    program, _ = AmazonStateLanguageParser.parse(
        render_definition(substitutions(ARNS, "run-bucket", "STANDARD"))
    )
    assert program is not None


def test_moto_still_rejects_express_children():
    """Pinned divergence (DESIGN.md): EXPRESS children are an AWS-only setting. If a moto
    upgrade accepts them, local runs can exercise EXPRESS too."""
    with pytest.raises(ASLParserException, match="EXPRESS"):
        AmazonStateLanguageParser.parse(
            render_definition(substitutions(ARNS, "run-bucket", "EXPRESS"))
        )


def test_unknown_child_type_or_missing_substitution_fails():
    with pytest.raises(ValueError, match="STANDARD, EXPRESS"):
        substitutions(ARNS, "b", "SYNC")
    with pytest.raises(ValueError, match="unresolved substitution"):
        render_definition({})


def test_jsonpath_only(definition):
    text = json.dumps(definition)
    assert "JSONata" not in text and "{%" not in text
    assert "?(" not in text, "no JSONPath filter expressions (moto evaluates them wrongly)"


def test_every_lambda_task_retries_transient_errors_with_full_jitter(definition):
    lambda_tasks = [
        (n, s)
        for n, s in states(definition)
        if s.get("Resource") == "arn:aws:states:::lambda:invoke"
    ]
    assert {n for n, _ in lambda_tasks} == {"Prepare", "ProcessBatch", "Aggregate"}
    for name, state in lambda_tasks:
        retriers = state["Retry"]
        covered = set().union(*(set(r["ErrorEquals"]) for r in retriers))
        assert covered >= LAMBDA_TRANSIENT, name
        for retrier in retriers:
            assert retrier["JitterStrategy"] == "FULL" and retrier["MaxDelaySeconds"] <= 60, name
            assert "States.ALL" not in retrier["ErrorEquals"], (
                f"{name} must not retry permanent errors"
            )


def test_worker_retries_timeouts_and_retryable_batches_and_catches_everything(definition):
    worker = dict(states(definition))["ProcessBatch"]
    covered = set().union(*(set(r["ErrorEquals"]) for r in worker["Retry"]))
    assert {"Sandbox.Timedout", "Runtime.ExitError", "RetryableBatchError"} <= covered
    assert worker["Catch"] == [
        {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "RecordFailure"}
    ]
    record = dict(states(definition))["RecordFailure"]
    assert record["Resource"] == "arn:aws:states:::aws-sdk:s3:putObject"
    assert record["Parameters"]["Body.$"] == "States.JsonToString($)"


def test_map_reads_manifest_writes_results_and_keeps_output_small(definition):
    fanout = definition["States"]["ProcessBatches"]
    assert fanout["ItemProcessor"]["ProcessorConfig"] == {
        "Mode": "DISTRIBUTED",
        "ExecutionType": "STANDARD",
    }
    assert fanout["ItemReader"]["Resource"] == "arn:aws:states:::s3:getObject"
    assert fanout["ResultWriter"]["Parameters"]["Bucket"] == "run-bucket"
    assert fanout["ResultPath"] is None
    assert fanout["MaxConcurrencyPath"] == "$.max_concurrency"
    assert set(fanout["ItemSelector"]) == {"run_id.$", "bucket.$", "batch.$"}


def test_named_fail_states(definition):
    fails = {n: s for n, s in definition["States"].items() if s["Type"] == "Fail"}
    assert {s["Error"] for s in fails.values()} == {"InvalidInput", "FailureThresholdExceeded"}

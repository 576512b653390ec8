"""The bad-input catalog: malformed and hostile inputs through the CLI and the state machine.
Each ends as InvalidInput with a message that says what to fix, exit code 2, no traceback,
and nothing written for the run."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from local_engine.cli import main

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("bad-input")]

INLINE = {"type": "inline", "items": ["a", "b"]}


def run_input(**fields):
    return {"task": "simulate", "source": INLINE, **fields}


# (case name, execution input: a dict, or raw JSON text, fragment the cause must contain)
CATALOG = [
    ("json-string", '"run everything"', "must be a JSON object, got a string"),
    ("json-array", "[1, 2, 3]", "must be a JSON object, got an array"),
    ("json-number", "42", "must be a JSON object, got a number"),
    ("json-null", "null", "must be a JSON object, got null"),
    ("empty-object", {}, "input.task: Field required"),
    (
        "task-wrong-type",
        {"task": 7, "source": INLINE},
        "input.task: Input should be a valid string",
    ),
    (
        "unknown-task",
        {"task": "nope", "source": INLINE},
        "unknown task 'nope'; known tasks: s3-digest, simulate",
    ),
    ("unknown-field", run_input(sourcee=INLINE), "input.sourcee: unknown field"),
    (
        "unknown-option",
        run_input(options={"batchsize": 5}),
        "input.options.batchsize: unknown field",
    ),
    ("missing-source", {"task": "simulate"}, "input.source: Field required"),
    (
        "unknown-source-type",
        {"task": "simulate", "source": {"type": "ftp", "url": "x"}},
        "input.source: Input tag 'ftp'",
    ),
    (
        "empty-inline",
        {"task": "simulate", "source": {"type": "inline", "items": []}},
        "input.source.items: List should have at least 1 item",
    ),
    (
        "inline-not-list",
        {"task": "simulate", "source": {"type": "inline", "items": "abc"}},
        "input.source.items: Input should be a valid list",
    ),
    (
        "null-item",
        {"task": "simulate", "source": {"type": "inline", "items": ["a", None]}},
        "item 1 is null",
    ),
    (
        "batch-size-zero",
        run_input(options={"batch_size": 0}),
        "input.options.batch_size: Input should be greater than or equal to 1",
    ),
    (
        "batch-size-absurd",
        run_input(options={"batch_size": 10**9}),
        "input.options.batch_size: Input should be less than or equal to 10000",
    ),
    (
        "batch-size-text",
        run_input(options={"batch_size": "ten"}),
        "input.options.batch_size: Input should be a valid integer",
    ),
    (
        "batch-size-fraction",
        run_input(options={"batch_size": 1.5}),
        "input.options.batch_size: Input should be a valid integer",
    ),
    (
        "negative-concurrency",
        run_input(options={"max_concurrency": -1}),
        "input.options.max_concurrency: Input should be greater than or equal to 1",
    ),
    (
        "threshold-over-100",
        run_input(options={"max_failure_percent": 150}),
        "input.options.max_failure_percent: Input should be less than or equal to 100",
    ),
    (
        "threshold-infinite",
        '{"task": "simulate", "source": {"type": "inline", "items": [1]}, "options": {"max_failure_percent": 1e999}}',
        "input.options.max_failure_percent: Input should be a finite number",
    ),
    (
        "inline-over-limit",
        {"task": "simulate", "source": {"type": "inline", "items": list(range(1001))}},
        "input.source.items: List should have at most 1000 items",
    ),
    (
        "oversize-item",
        {"task": "simulate", "source": {"type": "inline", "items": ["x" * 9000]}},
        "item 0 is 9,002 bytes, over the 8,192-byte limit",
    ),
    (
        "run-id-traversal",
        run_input(run_id="../../etc"),
        "input.run_id: String should match pattern",
    ),
    ("run-id-slash", run_input(run_id="a/b"), "input.run_id: String should match pattern"),
    ("run-id-too-long", run_input(run_id="r" * 100), "input.run_id: String should match pattern"),
    ("run-id-unicode", run_input(run_id="rün-1"), "input.run_id: String should match pattern"),
    (
        "prefix-absolute",
        {"task": "s3-digest", "source": {"type": "s3_prefix", "prefix": "/etc/"}},
        "must not start with '/'",
    ),
    (
        "prefix-dot-dot",
        {"task": "s3-digest", "source": {"type": "s3_prefix", "prefix": "data/../secrets/"}},
        "must not contain '.' or '..' path segments",
    ),
    (
        "prefix-nul",
        {"task": "s3-digest", "source": {"type": "s3_prefix", "prefix": "data/\u0000"}},
        "must not contain control or invisible formatting characters",
    ),
    (
        "prefix-rtl-override",
        {"task": "s3-digest", "source": {"type": "s3_prefix", "prefix": "data/\u202etxt.exe"}},
        "right-to-left override",
    ),
    (
        "key-zero-width",
        {"task": "s3-digest", "source": {"type": "manifest", "key": "list\u200b.json"}},
        "zero-width space",
    ),
    (
        "bucket-invalid-name",
        {
            "task": "s3-digest",
            "source": {"type": "s3_prefix", "prefix": "x/", "bucket": "My_Bucket"},
        },
        "input.source.bucket: String should match pattern",
    ),
    (
        "empty-prefix",
        {"task": "s3-digest", "source": {"type": "s3_prefix", "prefix": "nothing-here/"}},
        "has no items; point the source at at least one item",
    ),
    (
        "missing-bucket",
        {
            "task": "s3-digest",
            "source": {"type": "s3_prefix", "prefix": "x/", "bucket": "no-such-bucket-here"},
        },
        "bucket 'no-such-bucket-here' does not exist",
    ),
    (
        "missing-manifest",
        {"task": "s3-digest", "source": {"type": "manifest", "key": "catalog/missing.json"}},
        "catalog/missing.json does not exist; check source.key",
    ),
    (
        "manifest-unknown-format",
        {"task": "s3-digest", "source": {"type": "manifest", "key": "catalog/list.txt"}},
        "set source.format to one of json, jsonl, csv",
    ),
    (
        "manifest-csv-ragged",
        {"task": "s3-digest", "source": {"type": "manifest", "key": "catalog/ragged.csv"}},
        "row 3 has 3 fields, the header has 2",
    ),
    (
        "manifest-csv-bad-size",
        {"task": "s3-digest", "source": {"type": "manifest", "key": "catalog/bad-size.csv"}},
        "size 'huge' is not a whole number of bytes",
    ),
    (
        "manifest-jsonl-broken-line",
        {"task": "s3-digest", "source": {"type": "manifest", "key": "catalog/broken.jsonl"}},
        "line 2 is not valid JSON",
    ),
    (
        "manifest-json-object",
        {"task": "s3-digest", "source": {"type": "manifest", "key": "catalog/object.json"}},
        "must be a JSON array of items, found a dict",
    ),
    (
        "manifest-not-utf8",
        {"task": "s3-digest", "source": {"type": "manifest", "key": "catalog/latin1.csv"}},
        "is not UTF-8 text",
    ),
    (
        "manifest-oversize-line",
        {"task": "s3-digest", "source": {"type": "manifest", "key": "catalog/fat.jsonl"}},
        "over the 8,192-byte limit",
    ),
    (
        "digest-item-not-a-key",
        {"task": "s3-digest", "source": {"type": "inline", "items": [{"size": 3}]}},
        "cannot be processed by s3-digest",
    ),
    ("params-unknown", run_input(params={"latency": 5}), "params.latency: unknown field"),
    (
        "params-wrong-type",
        run_input(params={"median_ms": "fast"}),
        "params.median_ms: Input should be a valid number",
    ),
    (
        "params-negative",
        run_input(params={"median_ms": -1}),
        "params.median_ms: Input should be greater than or equal to 0",
    ),
    (
        "params-rate-over-one",
        run_input(params={"crash_rate": 2}),
        "params.crash_rate: Input should be less than or equal to 1",
    ),
]


@pytest.fixture(scope="module")
def catalog_objects(engine, deployment):
    s3 = engine.client("s3")
    objects = {
        "catalog/list.txt": b"a\nb\n",
        "catalog/ragged.csv": b"key,size\na,1\nb,2,3\n",
        "catalog/bad-size.csv": b"key,size\na,huge\n",
        "catalog/broken.jsonl": b'"a"\n{"key": \n',
        "catalog/object.json": b'{"items": ["a"]}',
        "catalog/latin1.csv": "key\nr\u00e9sum\u00e9.txt\n".encode("latin-1"),
        "catalog/fat.jsonl": (json.dumps({"key": "k", "pad": "x" * 9000}) + "\n").encode(),
    }
    for key, body in objects.items():
        s3.put_object(Bucket=deployment.bucket, Key=key, Body=body)
    return objects


def test_the_catalog_is_large_enough():
    assert len(CATALOG) >= 30
    assert len({name for name, _, _ in CATALOG}) == len(CATALOG)


@pytest.mark.parametrize(
    ("name", "execution_input", "fragment"), CATALOG, ids=[c[0] for c in CATALOG]
)
def test_bad_input_is_named_actionable_and_writes_nothing(
    engine, deployment, catalog_objects, name, execution_input, fragment
):
    text = execution_input if isinstance(execution_input, str) else json.dumps(execution_input)
    execution_name = f"bad-{name}"
    result = CliRunner().invoke(
        main,
        [
            "start",
            "--endpoint-url",
            engine.endpoint_url,
            "--region",
            "us-east-1",
            "--state-machine-arn",
            deployment.state_machine_arn,
            "--name",
            execution_name,
            "--input",
            text,
        ],
        env={"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local", "COLUMNS": "400"},
    )
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit), "a user mistake never raises"
    assert "Traceback" not in result.output
    assert "InvalidInput" in result.output

    sfn = engine.client("stepfunctions")
    arn = (
        deployment.state_machine_arn.replace(":stateMachine:", ":execution:") + f":{execution_name}"
    )
    description = sfn.describe_execution(executionArn=arn)
    assert (description["status"], description["error"]) == ("FAILED", "InvalidInput")
    assert fragment in description["cause"], description["cause"]
    assert "Traceback" not in description["cause"] and "stackTrace" not in description["cause"]

    s3 = engine.client("s3")
    for run_id in {
        execution_name,
        *(
            [execution_input.get("run_id")]
            if isinstance(execution_input, dict) and isinstance(execution_input.get("run_id"), str)
            else []
        ),
    }:
        if "/" not in run_id:
            assert (
                s3.list_objects_v2(Bucket=deployment.bucket, Prefix=f"runs/{run_id}/").get(
                    "KeyCount", 0
                )
                == 0
            )


def test_one_unreadable_object_fails_only_that_item(engine, deployment):
    from tests.e2e.conftest import execute, report_of

    s3 = engine.client("s3")
    s3.put_object(Bucket=deployment.bucket, Key="mixed/ok-1.txt", Body=b"1\n")
    s3.put_object(Bucket=deployment.bucket, Key="mixed/ok-2.txt", Body=b"2\n")
    execution_input = {
        "task": "s3-digest",
        "source": {
            "type": "inline",
            "items": ["mixed/ok-1.txt", "mixed/deleted.txt", "mixed/ok-2.txt"],
        },
        "options": {"max_failure_percent": 50},
    }
    outcome = execute(engine, deployment, execution_input)
    assert outcome.status == "SUCCEEDED", outcome.description
    report = report_of(engine, deployment, outcome.run_id)
    assert report["items"] == {"total": 3, "succeeded": 2, "failed": 1, "lost": 0}
    assert report["errors"][0]["type"] == "ObjectMissing"

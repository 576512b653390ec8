"""No state payload grows with the number of items: a 10,000-batch run keeps every payload,
in the parent's history and in every function invocation, under 16 KiB."""

from __future__ import annotations

import json

import pytest

from local_engine.history import events
from tests.e2e.conftest import execute

pytestmark = pytest.mark.e2e

LIMIT = 16 * 1024


def payload_sizes(history):
    for event in history:
        for key, details in event.items():
            if key.endswith("EventDetails") and isinstance(details, dict):
                for field in ("input", "output", "cause"):
                    if isinstance(details.get(field), str):
                        yield event["type"], field, len(details[field].encode())


# The 10,000-batch run takes ~3 minutes; its own xdist group lets the rest run beside it.
@pytest.mark.xdist_group("scale")
@pytest.mark.parametrize("batches", [10, 10_000])
def test_payloads_stay_small_at_any_scale(engine, deployment, batches):
    s3 = engine.client("s3")
    key = f"scale/{batches}.jsonl"
    s3.put_object(
        Bucket=deployment.bucket,
        Key=key,
        Body="".join(json.dumps(f"item-{k}") + "\n" for k in range(batches)).encode(),
    )
    execution_input = {
        "task": "simulate",
        "source": {"type": "manifest", "key": key},
        "params": {"distribution": "fixed", "median_ms": 0},
        "options": {"batch_size": 1, "max_concurrency": 40, "item_concurrency": 1},
    }
    first_report = len(engine.runtime.reports)
    outcome = execute(engine, deployment, execution_input, timeout=900)
    assert outcome.status == "SUCCEEDED", outcome.description
    assert outcome.output["items"]["succeeded"] == batches

    largest = max(
        payload_sizes(events(engine.client("stepfunctions"), outcome.execution_arn)),
        key=lambda t: t[2],
    )
    assert largest[2] < LIMIT, f"parent payload {largest}"
    invocations = engine.runtime.reports[first_report:]
    assert len([r for r in invocations if r.function.endswith("worker")]) >= batches
    assert max(r.request_bytes for r in invocations) < LIMIT
    assert max(r.response_bytes for r in invocations) < LIMIT

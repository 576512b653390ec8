from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from local_engine.deploy import Deployment, deploy
from local_engine.engine import LocalEngine

# Retry waits scaled to 1 %: a 2 s backoff becomes 20 ms. Production runs use 1.0.
RETRY_SCALE = 0.01


@pytest.fixture(scope="session")
def engine() -> Iterator[LocalEngine]:
    with LocalEngine(retry_scale=RETRY_SCALE) as running:
        yield running


@pytest.fixture(scope="session")
def deployment(engine: LocalEngine) -> Deployment:
    return deploy(engine)


@pytest.fixture
def redeploy(engine: LocalEngine, deployment: Deployment) -> Iterator[Any]:
    """Redeploys with function overrides for one test, then restores the defaults."""
    yield lambda overrides: deploy(engine, overrides)
    deploy(engine)


@dataclass
class Outcome:
    description: dict[str, Any]
    execution_arn: str
    run_id: str | None

    @property
    def status(self) -> str:
        return str(self.description["status"])

    @property
    def output(self) -> dict[str, Any]:
        return json.loads(self.description.get("output") or "{}")


def execute(
    engine: LocalEngine,
    deployment: Deployment,
    execution_input: Any,
    name: str | None = None,
    timeout: float = 180,
) -> Outcome:
    sfn = engine.client("stepfunctions")
    name = name or f"t-{uuid.uuid4().hex[:12]}"
    arn = sfn.start_execution(
        stateMachineArn=deployment.state_machine_arn,
        name=name,
        input=execution_input if isinstance(execution_input, str) else json.dumps(execution_input),
    )["executionArn"]
    deadline = time.monotonic() + timeout
    while True:
        description = sfn.describe_execution(executionArn=arn)
        if description["status"] != "RUNNING":
            break
        assert time.monotonic() < deadline, f"{name} still running after {timeout} s"
        time.sleep(0.1)
    run_id = execution_input.get("run_id", name) if isinstance(execution_input, dict) else None
    return Outcome(description=description, execution_arn=arn, run_id=run_id)


def report_of(engine: LocalEngine, deployment: Deployment, run_id: str) -> dict[str, Any]:
    body = engine.client("s3").get_object(
        Bucket=deployment.bucket, Key=f"runs/{run_id}/report.json"
    )["Body"]
    return json.loads(body.read())


def merged_results(
    engine: LocalEngine, deployment: Deployment, run_id: str
) -> list[dict[str, Any]]:
    body = engine.client("s3").get_object(
        Bucket=deployment.bucket, Key=f"runs/{run_id}/results.jsonl"
    )["Body"]
    return [json.loads(line) for line in body.read().splitlines()]


def simulate(
    n: int, batch_size: int = 5, max_failure_percent: float = 0, **params: Any
) -> dict[str, Any]:
    return {
        "task": "simulate",
        "source": {"type": "inline", "items": [f"item-{k:05d}" for k in range(n)]},
        "params": {"distribution": "fixed", "median_ms": 1, **params},
        "options": {
            "batch_size": batch_size,
            "max_concurrency": 8,
            "item_concurrency": 4,
            "max_failure_percent": max_failure_percent,
        },
    }


def assert_every_item_once(results: list[dict[str, Any]], total: int) -> None:
    indexes = [line["index"] for line in results]
    assert sorted(indexes) == list(range(total)), "every item exactly once in the merged results"

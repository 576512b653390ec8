"""The local endpoint itself: the AWS CLI, a pinned moto divergence, retry scaling."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

ROLE = "arn:aws:iam::123456789012:role/scatter-gather-local"


def test_a_failed_child_does_not_fail_a_distributed_map_locally(engine):
    """Pinned divergence (DESIGN.md). On AWS this execution FAILS: a Distributed Map's default
    tolerated failure is 0, so one failed child fails the Map (States.ExceedToleratedFailureThreshold).
    moto 5.2.5 lets it succeed. Our definition does not depend on either: children catch
    everything. If this test starts failing, moto changed; revisit DESIGN.md."""
    definition = {
        "StartAt": "Fanout",
        "States": {
            "Fanout": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                    "StartAt": "Boom",
                    "States": {
                        "Boom": {"Type": "Fail", "Error": "ChildFailed", "Cause": "on purpose"}
                    },
                },
                "End": True,
            }
        },
    }
    sfn = engine.client("stepfunctions")
    arn = sfn.create_state_machine(
        name="divergence-pin", definition=json.dumps(definition), roleArn=ROLE
    )["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=arn, input=json.dumps({"items": [1, 2, 3]}))
    for _ in range(100):
        status = sfn.describe_execution(executionArn=execution["executionArn"])["status"]
        if status != "RUNNING":
            break
        time.sleep(0.1)
    assert status == "SUCCEEDED", (
        "moto now fails the Map like AWS does; update DESIGN.md and this pin"
    )


def _aws_cli() -> list[str]:
    found = shutil.which("aws", path=str(Path(sys.executable).parent))
    assert found, "awscli is a dev dependency; make test installs it"
    return [found]


def test_the_real_aws_cli_starts_an_execution_and_reads_its_result(engine, deployment, tmp_path):
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    env.pop("AWS_PROFILE", None)
    sample = tmp_path / "input.json"
    sample.write_text(
        json.dumps(
            {
                "task": "simulate",
                "source": {"type": "inline", "items": ["a", "b", "c"]},
                "params": {"median_ms": 1},
            }
        )
    )
    base = [*_aws_cli(), "--endpoint-url", engine.endpoint_url, "--output", "json", "stepfunctions"]
    started = subprocess.run(
        [
            *base,
            "start-execution",
            "--state-machine-arn",
            deployment.state_machine_arn,
            "--input",
            f"file://{sample}",
        ],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=60,
    )
    execution_arn = json.loads(started.stdout)["executionArn"]
    assert not execution_arn.endswith(":None"), (
        "executions without --name get a generated name, as on AWS"
    )
    for _ in range(300):
        described = json.loads(
            subprocess.run(
                [*base, "describe-execution", "--execution-arn", execution_arn],
                capture_output=True,
                text=True,
                env=env,
                check=True,
                timeout=60,
            ).stdout
        )
        if described["status"] != "RUNNING":
            break
        time.sleep(0.2)
    assert described["status"] == "SUCCEEDED", described
    assert json.loads(described["output"])["items"]["succeeded"] == 3


def test_history_lists_each_state_in_order(engine, deployment):
    from local_engine.history import events, spans
    from tests.e2e.conftest import execute, simulate

    outcome = execute(engine, deployment, simulate(6, batch_size=3))
    names = [
        span.name for span in spans(events(engine.client("stepfunctions"), outcome.execution_arn))
    ]
    assert names == ["Prepare", "IsDuplicateRun", "ProcessBatches", "Aggregate"]

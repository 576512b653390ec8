"""Local deploy: the bucket, the three functions (from the same specs as the CDK stack) and the
state machine (same ASL file, same substitutions, STANDARD children). Idempotent."""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from stacks.workflow_spec import (
    BASELINE_ORCHESTRATOR,
    FUNCTIONS,
    LAMBDA_CODE_DIR,
    function_environment,
    render_definition,
    substitutions,
)

from .engine import ACCOUNT_ID, LocalEngine

BUCKET = "scatter-gather-local"
STATE_MACHINE_NAME = "scatter-gather"
ROLE_NAME = "scatter-gather-local"
_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": ["lambda.amazonaws.com", "states.amazonaws.com"]},
            "Action": "sts:AssumeRole",
        }
    ],
}


@dataclass(frozen=True)
class Deployment:
    bucket: str
    state_machine_arn: str
    function_arns: dict[str, str]
    function_names: dict[str, str]


def package_code(source: Path = LAMBDA_CODE_DIR) -> bytes:
    """The Lambda asset as a zip with fixed timestamps, so unchanged code keeps its hash."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(source.rglob("*")):
            if path.is_dir() or "__pycache__" in path.parts or path.suffix == ".pyc":
                continue
            info = zipfile.ZipInfo(str(path.relative_to(source)), date_time=(2020, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            archive.writestr(info, path.read_bytes(), zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def function_name(key: str) -> str:
    return f"scatter-gather-{key}"


def _ensure_role(iam: Any) -> str:
    try:
        return str(iam.get_role(RoleName=ROLE_NAME)["Role"]["Arn"])
    except ClientError:
        role = iam.create_role(RoleName=ROLE_NAME, AssumeRolePolicyDocument=json.dumps(_TRUST))
        return str(role["Role"]["Arn"])


def _ensure_bucket(s3: Any, bucket: str) -> None:
    try:
        s3.head_bucket(Bucket=bucket)
    except ClientError:
        s3.create_bucket(Bucket=bucket)


def _ensure_function(
    lam: Any, key: str, role_arn: str, code: bytes, bucket: str, overrides: dict[str, Any]
) -> str:
    spec = (FUNCTIONS.get(key) or BASELINE_ORCHESTRATOR).with_overrides(overrides)
    name = function_name(key)
    settings = {
        "Role": role_arn,
        "Handler": spec.handler,
        "Timeout": spec.timeout_seconds,
        "MemorySize": spec.memory_mb,
        "Environment": {"Variables": function_environment(spec, bucket)},
        "Description": spec.description,
    }
    try:
        lam.get_function(FunctionName=name)
    except ClientError:
        created = lam.create_function(
            FunctionName=name,
            Runtime="python3.12",
            Architectures=["arm64"],
            Code={"ZipFile": code},
            **settings,
        )
        arn = str(created["FunctionArn"])
    else:
        lam.update_function_code(FunctionName=name, ZipFile=code)
        arn = str(lam.update_function_configuration(FunctionName=name, **settings)["FunctionArn"])
    concurrency = overrides.get("reserved_concurrency")
    if concurrency is not None:
        lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=concurrency)
    else:
        lam.delete_function_concurrency(FunctionName=name)
    return arn


def deploy(
    engine: LocalEngine,
    overrides: dict[str, dict[str, Any]] | None = None,
    bucket: str = BUCKET,
    with_baseline: bool = False,
) -> Deployment:
    """Creates or updates everything. ``overrides`` per function key: timeout_seconds,
    memory_mb, environment, reserved_concurrency (tests use these to provoke faults).
    ``with_baseline`` adds the naive orchestrator for the benchmark."""
    overrides = overrides or {}
    unknown = set(overrides) - set(FUNCTIONS) - {"orchestrator"}
    if unknown:
        raise ValueError(f"no such function: {', '.join(sorted(unknown))}")
    s3, lam, sfn = engine.client("s3"), engine.client("lambda"), engine.client("stepfunctions")
    role_arn = _ensure_role(engine.client("iam"))
    _ensure_bucket(s3, bucket)
    code = package_code()
    arns = {
        key: _ensure_function(lam, key, role_arn, code, bucket, overrides.get(key, {}))
        for key in FUNCTIONS
    }
    if with_baseline:
        baseline = {
            **overrides.get("orchestrator", {}),
            "environment": {"WORKER_FUNCTION_NAME": function_name("worker")},
        }
        arns["orchestrator"] = _ensure_function(
            lam, "orchestrator", role_arn, code, bucket, baseline
        )
    definition = render_definition(
        substitutions({k: arns[k] for k in FUNCTIONS}, bucket, "STANDARD")
    )
    state_machine_arn = f"arn:aws:states:us-east-1:{ACCOUNT_ID}:stateMachine:{STATE_MACHINE_NAME}"
    try:
        sfn.describe_state_machine(stateMachineArn=state_machine_arn)
        sfn.update_state_machine(
            stateMachineArn=state_machine_arn, definition=definition, roleArn=role_arn
        )
    except ClientError:
        state_machine_arn = sfn.create_state_machine(
            name=STATE_MACHINE_NAME, definition=definition, roleArn=role_arn, type="STANDARD"
        )["stateMachineArn"]
    return Deployment(
        bucket=bucket,
        state_machine_arn=state_machine_arn,
        function_arns=arns,
        function_names={key: function_name(key) for key in arns},
    )

"""Settings shared by the CDK stack and the local deployer: one source of truth for the
functions, the definition file and its substitutions. No CDK import here."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
LAMBDA_CODE_DIR = ROOT / "lambdas"
DEFINITION_FILE = ROOT / "statemachine" / "scatter_gather.asl.json"

SERVICE_NAME = "scatter-gather"
METRICS_NAMESPACE = "ScatterGather"
CHILD_EXECUTION_TYPES = ("STANDARD", "EXPRESS")


@dataclass(frozen=True)
class FunctionSpec:
    key: str
    """Short name: prepare, worker, aggregate."""
    handler: str
    description: str
    timeout_seconds: int
    memory_mb: int
    environment: dict[str, str] = field(default_factory=dict)

    def with_overrides(self, overrides: dict[str, Any]) -> FunctionSpec:
        """``{"timeout_seconds": .., "memory_mb": .., "environment": {..}}`` from config."""
        env = {**self.environment, **overrides.get("environment", {})}
        fields = {k: v for k, v in overrides.items() if k in ("timeout_seconds", "memory_mb")}
        return replace(self, environment=env, **fields)


FUNCTIONS: dict[str, FunctionSpec] = {
    spec.key: spec
    for spec in (
        FunctionSpec(
            key="prepare",
            handler="scatter_gather.handlers.prepare.handler",
            description="Validates the run input, plans balanced batches, writes the batch manifest",
            timeout_seconds=300,
            memory_mb=1024,
        ),
        FunctionSpec(
            key="worker",
            handler="scatter_gather.handlers.worker.handler",
            description="Runs the task on every item of one batch and writes its results",
            timeout_seconds=300,
            memory_mb=1769,  # one full vCPU: CPU-bound tasks get a whole core per process
            environment={"DEADLINE_RESERVE_MS": "3000"},
        ),
        FunctionSpec(
            key="aggregate",
            handler="scatter_gather.handlers.aggregate.handler",
            description="Reconciles every item of a run and writes the report",
            timeout_seconds=900,
            memory_mb=2048,
        ),
    )
}


# The naive thread-pool design, for the benchmark only: deployed by the local engine beside the
# state machine, never by the CDK stack.
BASELINE_ORCHESTRATOR = FunctionSpec(
    key="orchestrator",
    handler="scatter_gather.handlers.orchestrator.handler",
    description="Baseline: plans, invokes every worker batch synchronously, waits, aggregates",
    timeout_seconds=900,
    memory_mb=1024,
)


def function_environment(spec: FunctionSpec, bucket: str) -> dict[str, str]:
    """Every function's environment: the run bucket plus Powertools settings."""
    return {
        "RUN_BUCKET": bucket,
        "POWERTOOLS_SERVICE_NAME": SERVICE_NAME,
        "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
        "POWERTOOLS_LOG_LEVEL": "INFO",
        **spec.environment,
    }


def substitution_keys() -> dict[str, str]:
    """Placeholder name for each function's ARN in the definition."""
    return {key: f"{key.capitalize()}FunctionArn" for key in FUNCTIONS}


def substitutions(
    function_arns: dict[str, str], bucket: str, child_execution_type: str
) -> dict[str, str]:
    if child_execution_type not in CHILD_EXECUTION_TYPES:
        raise ValueError(
            f"child execution type must be one of {', '.join(CHILD_EXECUTION_TYPES)}, "
            f"got {child_execution_type!r}"
        )
    values = {name: function_arns[key] for key, name in substitution_keys().items()}
    values["ChildExecutionType"] = child_execution_type
    values["RunBucket"] = bucket
    return values


def render_definition(values: dict[str, str]) -> str:
    """The definition with ``${Name}`` replaced, as Step Functions does for CDK's
    ``definition_substitutions``; fails on a placeholder left unresolved."""
    text = DEFINITION_FILE.read_text()
    for name, value in values.items():
        text = text.replace("${" + name + "}", value)
    if "${" in text:
        start = text.index("${")
        raise ValueError(f"unresolved substitution {text[start : text.index('}', start) + 1]}")
    json.loads(text)
    return text

"""The fault campaign: executions with injected faults at several rates, each checked for the
invariants that matter - every item counted once (succeeded + failed + lost = total), no
duplicates in the merged results, permanent failures carrying their error, and transient
faults recovered within the retry policy."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from rich.table import Table
from scatter_gather.tasks.simulate import SimulateParams, injected_fault

from .deploy import Deployment, deploy
from .engine import LocalEngine

TRANSIENT = {"retryable", "timeout", "crash", "throttle"}


@dataclass(frozen=True)
class Scenario:
    fault: str  # none | retryable | permanent | timeout | crash | throttle
    rate: float  # for throttle: the worker's concurrency cap
    worker: dict[str, Any] = field(default_factory=dict)
    retry_scale: float | None = None


@dataclass
class Row:
    fault: str
    rate: str
    items: int
    injected: int
    recovered: int
    succeeded: int
    failed: int
    lost: int
    duplicates: int
    seconds: float
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def scenarios() -> list[Scenario]:
    short_timeout = {"timeout_seconds": 2}
    return [
        Scenario("none", 0.0),
        *(Scenario("retryable", r) for r in (0.1, 0.3, 0.5)),
        *(Scenario("permanent", r) for r in (0.1, 0.3)),
        *(Scenario("timeout", r, worker=short_timeout) for r in (0.1, 0.3)),
        *(Scenario("crash", r) for r in (0.1, 0.3)),
        # Throttling: the worker's reserved concurrency against a Map that asks for 8 at once.
        *(
            Scenario("throttle", cap, worker={"reserved_concurrency": int(cap)}, retry_scale=0.1)
            for cap in (4, 2, 1)
        ),
    ]


def _params(scenario: Scenario) -> dict[str, Any]:
    params: dict[str, Any] = {
        "distribution": "lognormal",
        "median_ms": 10,
        "p99_ratio": 5,
        "seed": 11,
    }
    if scenario.fault == "throttle":
        params["median_ms"] = 40
    elif scenario.fault != "none":
        params[f"{scenario.fault}_rate"] = scenario.rate
    return params


@contextmanager
def _configured(engine: LocalEngine, scenario: Scenario) -> Iterator[Deployment]:
    previous = engine.retry_scale
    deployment = deploy(engine, {"worker": scenario.worker} if scenario.worker else None)
    if scenario.retry_scale is not None:
        engine.set_retry_scale(scenario.retry_scale)
    try:
        yield deployment
    finally:
        engine.set_retry_scale(previous)
        if scenario.worker:
            deploy(engine)


def _wait(sfn: Any, arn: str, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        description = sfn.describe_execution(executionArn=arn)
        if description["status"] != "RUNNING" or time.monotonic() > deadline:
            return dict(description)
        time.sleep(0.1)


def run_scenario(engine: LocalEngine, scenario: Scenario, items: int, batch_size: int = 4) -> Row:
    names = [f"item-{n:05d}" for n in range(items)]
    params = _params(scenario)
    execution_input = {
        "task": "simulate",
        "source": {"type": "inline", "items": names},
        "params": params,
        "options": {
            "batch_size": batch_size,
            "max_concurrency": 8,
            "item_concurrency": 4,
            "max_failure_percent": 100,
        },
    }
    reports_before = len(engine.runtime.reports)
    started = time.monotonic()
    with _configured(engine, scenario) as deployment:
        sfn, s3 = engine.client("stepfunctions"), engine.client("s3")
        name = f"faults-{scenario.fault}-{uuid.uuid4().hex[:8]}"
        arn = sfn.start_execution(
            stateMachineArn=deployment.state_machine_arn,
            name=name,
            input=json.dumps(execution_input),
        )["executionArn"]
        description = _wait(sfn, arn, timeout=600)
    seconds = time.monotonic() - started
    problems: list[str] = []
    if description["status"] != "SUCCEEDED":
        return Row(
            scenario.fault,
            _rate(scenario),
            items,
            0,
            0,
            0,
            0,
            0,
            0,
            seconds,
            [f"execution {description['status']}: {description.get('error')}"],
        )

    report = json.loads(
        s3.get_object(Bucket=deployment.bucket, Key=f"runs/{name}/report.json")["Body"].read()
    )
    lines = [
        json.loads(line)
        for line in s3.get_object(Bucket=deployment.bucket, Key=f"runs/{name}/results.jsonl")[
            "Body"
        ]
        .read()
        .splitlines()
    ]
    counts = report["items"]
    indexes = [line["index"] for line in lines]
    duplicates = len(indexes) - len(set(indexes)) + report["anomalies"]["duplicate_outcomes"]
    status = {line["index"]: line["status"] for line in lines}

    if scenario.fault == "throttle":
        new_reports = engine.runtime.reports[reports_before:]
        injected = sum(1 for r in new_reports if r.status == "throttled")
        throttle_failures = sum(
            1
            for line in lines
            if line.get("error", {}).get("type") == "Lambda.TooManyRequestsException"
        )
        recovered = injected if throttle_failures == 0 else injected - throttle_failures
    else:
        typed = SimulateParams.model_validate(params)
        hit = [
            n
            for n, item in enumerate(names)
            if scenario.fault != "none" and injected_fault(item, typed, 0) == scenario.fault
        ]
        injected = len(hit)
        recovered = sum(1 for n in hit if status.get(n) == "succeeded")

    if counts["succeeded"] + counts["failed"] + counts["lost"] != items or sorted(indexes) != list(
        range(items)
    ):
        problems.append("items not counted exactly once")
    if duplicates:
        problems.append(f"{duplicates} duplicate outcomes")
    if counts["lost"]:
        problems.append(f"{counts['lost']} items lost")
    for line in lines:
        if line["status"] == "failed" and not (
            line["error"].get("type") and line["error"].get("message")
        ):
            problems.append(f"item {line['index']} failed without an error type and message")
            break
    if scenario.fault in TRANSIENT and counts["failed"]:
        problems.append(
            f"{counts['failed']} transient failures not recovered within the retry policy"
        )
    if scenario.fault == "permanent" and counts["failed"] != injected:
        problems.append(f"{counts['failed']} failed, {injected} permanent faults injected")
    return Row(
        scenario.fault,
        _rate(scenario),
        items,
        injected,
        recovered,
        counts["succeeded"],
        counts["failed"],
        counts["lost"],
        duplicates,
        seconds,
        problems,
    )


def _rate(scenario: Scenario) -> str:
    if scenario.fault == "throttle":
        return f"cap {int(scenario.rate)}/8"
    return f"{scenario.rate:.0%}"


def campaign(
    engine: LocalEngine, items: int, on_row: Callable[[Row], None] | None = None
) -> list[Row]:
    rows = []
    for scenario in scenarios():
        row = run_scenario(engine, scenario, items)
        rows.append(row)
        if on_row:
            on_row(row)
    return rows


def table(rows: list[Row]) -> Table:
    result = Table(title="Fault campaign")
    for column in (
        "fault",
        "rate",
        "items",
        "injected",
        "recovered",
        "succeeded",
        "failed",
        "lost",
        "duplicates",
        "seconds",
        "check",
    ):
        result.add_column(
            column, justify="left" if column in ("fault", "rate", "check") else "right"
        )
    for row in rows:
        result.add_row(
            row.fault,
            row.rate,
            str(row.items),
            str(row.injected),
            str(row.recovered),
            str(row.succeeded),
            str(row.failed),
            str(row.lost),
            str(row.duplicates),
            f"{row.seconds:.1f}",
            "ok" if row.ok else "[red]" + "; ".join(row.problems) + "[/red]",
        )
    return result

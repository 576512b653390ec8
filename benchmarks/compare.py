"""The state machine against the thread-pool orchestrator, side by side in one run, on the
local engine, with figures read from the runtime's REPORT records."""

from __future__ import annotations

import json
import math
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from local_engine import patches
from local_engine.deploy import Deployment
from local_engine.engine import LocalEngine
from local_engine.history import events
from local_engine.runtime import Report

from .cost_model import load_prices

DESIGNS = ("state-machine", "orchestrator")


@dataclass
class DesignRun:
    design: str
    items: int
    makespan_seconds: float
    reports: list[Report]
    requests: dict[str, int]
    transitions: int
    parent_transitions: int
    waited_ms: float
    summary: dict[str, Any]
    concurrency: int
    figures: dict[str, Any] = field(default_factory=dict)


def heavy_tailed_input(
    key: str, batch_size: int, concurrency: int, median_ms: float
) -> dict[str, Any]:
    """Log-normal latencies with a p99 ten times the median: most items are quick, a few are
    the long poles."""
    return {
        "task": "simulate",
        "source": {"type": "manifest", "key": key},
        "params": {
            "distribution": "lognormal",
            "median_ms": median_ms,
            "p99_ratio": 10,
            "seed": 2026,
        },
        "options": {
            "batch_size": batch_size,
            "max_concurrency": concurrency,
            "item_concurrency": 1,
            "max_failure_percent": 0,
        },
    }


def write_items(engine: LocalEngine, deployment: Deployment, items: int) -> str:
    key = f"bench/items-{items}.jsonl"
    body = "".join(json.dumps(f"item-{n:07d}") + "\n" for n in range(items)).encode()
    engine.client("s3").put_object(Bucket=deployment.bucket, Key=key, Body=body)
    return key


def _delta(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {k: after.get(k, 0) - before.get(k, 0) for k in after}


def run_state_machine(
    engine: LocalEngine, deployment: Deployment, execution_input: dict[str, Any], items: int
) -> DesignRun:
    sfn = engine.client("stepfunctions")
    first, requests_before = len(engine.runtime.reports), patches.request_counts()
    name = f"bench-sfn-{items}-{uuid.uuid4().hex[:6]}"
    arn = sfn.start_execution(
        stateMachineArn=deployment.state_machine_arn, name=name, input=json.dumps(execution_input)
    )["executionArn"]
    while (description := sfn.describe_execution(executionArn=arn))["status"] == "RUNNING":
        time.sleep(0.2)
    if description["status"] != "SUCCEEDED":
        raise RuntimeError(
            f"benchmark execution {description['status']}: {description.get('error')} {description.get('cause')}"
        )
    reports = engine.runtime.reports[first:]
    history = events(sfn, arn)
    parent = sum(1 for e in history if e["type"].endswith("StateEntered"))
    attempts: dict[str, int] = {}
    for report in reports:
        if report.label:
            attempts[report.label] = attempts.get(report.label, 0) + 1
    # A STANDARD child: its start, one per attempt of ProcessBatch, and its end.
    children = sum(2 + n for n in attempts.values())
    return DesignRun(
        design="state-machine",
        items=items,
        makespan_seconds=(description["stopDate"] - description["startDate"]).total_seconds(),
        reports=reports,
        requests=_delta(requests_before, patches.request_counts()),
        transitions=parent + children,
        parent_transitions=parent,
        waited_ms=0.0,
        summary=json.loads(description["output"]),
        concurrency=execution_input["options"]["max_concurrency"],
    )


def run_orchestrator(
    engine: LocalEngine, deployment: Deployment, execution_input: dict[str, Any], items: int
) -> DesignRun:
    # The orchestrator may run for minutes; one attempt only, never a second orchestrator.
    slow_client = engine.client("lambda", read_timeout=1000, attempts=1)
    first, requests_before = len(engine.runtime.reports), patches.request_counts()
    name = f"bench-orch-{items}-{uuid.uuid4().hex[:6]}"
    started = time.monotonic()
    response = slow_client.invoke(
        FunctionName=deployment.function_names["orchestrator"],
        Payload=json.dumps({"input": execution_input, "execution_name": name}).encode(),
    )
    makespan = time.monotonic() - started
    payload = json.loads(response["Payload"].read())
    if response.get("FunctionError"):
        raise RuntimeError(f"orchestrator failed: {payload}")
    return DesignRun(
        design="orchestrator",
        items=items,
        makespan_seconds=makespan,
        reports=engine.runtime.reports[first:],
        requests=_delta(requests_before, patches.request_counts()),
        transitions=0,
        parent_transitions=0,
        waited_ms=float(payload["waited_on_workers_ms"]),
        summary=payload,
        concurrency=execution_input["options"]["max_concurrency"],
    )


def figures(run: DesignRun, prices: dict[str, Any]) -> dict[str, Any]:
    """Billed GB-s per function, waiting, makespan against the ideal, and dollars."""
    gb_s: dict[str, float] = {}
    for report in run.reports:
        key = report.function.removeprefix("scatter-gather-")
        gb_s[key] = gb_s.get(key, 0.0) + report.billed_gb_seconds
    orchestrator_memory_gb = next(
        (r.memory_mb / 1024 for r in run.reports if r.function.endswith("orchestrator")), 1.0
    )
    waiting_gb_s = run.waited_ms / 1000 * orchestrator_memory_gb
    invoked_by_lambda = sum(1 for r in run.reports if r.invoked_by_lambda)
    worker = [r for r in run.reports if r.function.endswith("worker") and r.status != "throttled"]
    durations = [r.duration_ms / 1000 for r in worker]
    ideal = max(sum(durations) / run.concurrency, max(durations)) if durations else 0.0
    lambda_dollars = (
        sum(gb_s.values()) * prices["lambda_arm64_per_gb_second"]
        + sum(1 for r in run.reports if r.status != "throttled") * prices["lambda_per_request"]
    )
    s3_dollars = (
        run.requests.get("s3:put-copy-post-list", 0) * prices["s3_put_copy_post_list_per_request"]
        + run.requests.get("s3:get-head-other", 0) * prices["s3_get_and_other_per_request"]
    )
    standard = run.transitions * prices["sfn_standard_per_transition"]
    # The same run with EXPRESS children: each child is billed for the time its worker took.
    step = prices["sfn_express_billing_increment_ms"] / 1000
    express_children = (
        sum(math.ceil(d / step) * step for d in durations)
        * prices["sfn_express_memory_step_mb"]
        / 1024
    )
    batches = len({r.label for r in worker})
    express = (
        run.parent_transitions * prices["sfn_standard_per_transition"]
        + batches * prices["sfn_express_per_request"]
        + express_children * prices["sfn_express_per_gb_second"]
        if run.transitions
        else 0.0
    )
    return {
        "gb_seconds": {k: round(v, 3) for k, v in sorted(gb_s.items())},
        "gb_seconds_total": round(sum(gb_s.values()), 3),
        "waiting_gb_seconds": round(waiting_gb_s, 3),
        "invocations_by_lambda": invoked_by_lambda,
        "makespan_s": round(run.makespan_seconds, 2),
        "ideal_s": round(ideal, 2),
        "makespan_over_ideal": round(run.makespan_seconds / ideal, 2) if ideal else None,
        "transitions": run.transitions,
        "s3_requests": {k: v for k, v in run.requests.items() if k.startswith("s3:")},
        "dollars": {
            "lambda": lambda_dollars,
            "step_functions_standard": standard,
            "step_functions_express_modelled": express,
            "s3": s3_dollars,
            "total_standard": lambda_dollars + standard + s3_dollars,
            "total_express_modelled": lambda_dollars + express + s3_dollars
            if run.transitions
            else lambda_dollars + s3_dollars,
        },
        "items": run.summary.get("items"),
    }


def compare(
    engine: LocalEngine,
    deployment: Deployment,
    sizes: list[int],
    designs: tuple[str, ...],
    batch_size: int,
    concurrency: int,
    median_ms: float,
    on_step: Any = None,
) -> list[DesignRun]:
    prices = load_prices()
    runs: list[DesignRun] = []
    # Warm both designs' execution environments first, so neither pays cold starts the other
    # does not (cold starts are real, but the order of runs should not decide who pays them).
    warm_key = write_items(engine, deployment, concurrency * batch_size)
    for design in designs:
        runner = run_state_machine if design == "state-machine" else run_orchestrator
        runner(
            engine, deployment, heavy_tailed_input(warm_key, batch_size, concurrency, median_ms), 0
        )
    for items in sizes:
        key = write_items(engine, deployment, items)
        execution_input = heavy_tailed_input(key, batch_size, concurrency, median_ms)
        for design in designs:
            if on_step:
                on_step(f"{design}, {items:,} items")
            runner = run_state_machine if design == "state-machine" else run_orchestrator
            run = runner(engine, deployment, execution_input, items)
            run.figures = figures(run, prices)
            runs.append(run)
    return runs

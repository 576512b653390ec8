"""``simulate``: synthetic work for load and fault testing.

Each item draws its latency from a distribution and may burn CPU; faults are injected at
given rates, chosen per item from a seeded hash, so a run is reproducible:

- ``retryable``: raises ``SimulatedThrottle`` (retryable) on the first ``fault_attempts`` attempts
- ``permanent``: raises ``SimulatedPermanentError`` on every attempt
- ``slow``: the item takes an hour; the worker hands it back at its deadline
- ``timeout``: the whole execution environment stops (SIGSTOP) on the first
  ``fault_attempts`` attempts, as a native deadlock would; Lambda kills it at its timeout
- ``crash``: the environment exits (``os._exit``) on the first ``fault_attempts`` attempts
"""

from __future__ import annotations

import hashlib
import math
import os
import random
import signal
import statistics
import time
from collections.abc import Iterable
from typing import Any, Literal

from pydantic import Field

from .. import store
from .base import Task, TaskContext, TaskParams

_Z99 = 2.3263478740408408  # standard normal quantile at 0.99


class SimulatedThrottle(Exception):
    """A downstream service said 'slow down' (retryable)."""


class SimulatedPermanentError(Exception):
    """The item is bad and always will be (not retryable)."""


class SimulateParams(TaskParams):
    distribution: Literal["fixed", "uniform", "lognormal"] = "lognormal"
    median_ms: float = Field(default=20.0, ge=0, le=600_000)
    p99_ratio: float = Field(default=10.0, ge=1, le=1000, description="p99 / median (lognormal)")
    cpu_ms: float = Field(default=0.0, ge=0, le=600_000, description="CPU burned per item")
    retryable_rate: float = Field(default=0.0, ge=0, le=1)
    permanent_rate: float = Field(default=0.0, ge=0, le=1)
    slow_rate: float = Field(default=0.0, ge=0, le=1)
    timeout_rate: float = Field(default=0.0, ge=0, le=1)
    crash_rate: float = Field(default=0.0, ge=0, le=1)
    fault_attempts: int = Field(
        default=1, ge=1, le=100, description="attempts that see a transient fault"
    )
    seed: int = 0


def _rng(item: Any, params: SimulateParams, purpose: str) -> random.Random:
    digest = hashlib.sha256(f"{params.seed}|{purpose}|{store.dumps(item)}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def _hit(item: Any, params: SimulateParams, fault: str, rate: float) -> bool:
    return rate > 0 and _rng(item, params, fault).random() < rate


def latency_ms(item: Any, params: SimulateParams) -> float:
    rng = _rng(item, params, "latency")
    if params.distribution == "fixed":
        return params.median_ms
    if params.distribution == "uniform":
        return rng.uniform(0, 2 * params.median_ms)
    sigma = math.log(params.p99_ratio) / _Z99
    return params.median_ms * math.exp(rng.gauss(0.0, sigma))


def _burn_cpu(ms: float) -> int:
    end = time.process_time() + ms / 1000
    x = 0
    while time.process_time() < end:
        x = (x * 1103515245 + 12345) & 0x7FFFFFFF
    return x


def injected_fault(item: Any, params: SimulateParams, attempt: int) -> str | None:
    """Which fault, if any, this item meets on this attempt (the campaign counts with it too)."""
    transient = attempt < params.fault_attempts
    if transient and _hit(item, params, "crash", params.crash_rate):
        return "crash"
    if transient and _hit(item, params, "timeout", params.timeout_rate):
        return "timeout"
    if _hit(item, params, "permanent", params.permanent_rate):
        return "permanent"
    if transient and _hit(item, params, "retryable", params.retryable_rate):
        return "retryable"
    if _hit(item, params, "slow", params.slow_rate):
        return "slow"
    return None


def simulate(item: Any, params: SimulateParams, ctx: TaskContext) -> dict[str, Any]:
    fault = injected_fault(item, params, ctx.attempt)
    if fault == "crash":
        os._exit(77)
    if fault == "timeout":
        os.kill(os.getpid(), signal.SIGSTOP)
    if fault == "permanent":
        raise SimulatedPermanentError(
            f"item {store.dumps(item)[:80]} is permanently bad (simulated)"
        )
    if fault == "retryable":
        raise SimulatedThrottle(f"throttled on attempt {ctx.attempt} (simulated)")
    wait = 3_600_000.0 if fault == "slow" else latency_ms(item, params)
    started = time.perf_counter()
    checksum = _burn_cpu(params.cpu_ms) if params.cpu_ms else 0
    remaining = wait / 1000 - (time.perf_counter() - started)
    if remaining > 0:
        time.sleep(remaining)
    return {"latency_ms": round(wait, 3), "cpu_ms": params.cpu_ms, "checksum": checksum}


def summarize(outcomes: Iterable[tuple[Any, Any]]) -> dict[str, Any]:
    latencies = sorted(result["latency_ms"] for _item, result in outcomes)
    if not latencies:
        return {"items": 0}

    def pct(p: float) -> float:
        return round(latencies[min(len(latencies) - 1, int(p * len(latencies)))], 3)

    return {
        "items": len(latencies),
        "latency_ms": {
            "mean": round(statistics.fmean(latencies), 3),
            "p50": pct(0.50),
            "p90": pct(0.90),
            "p99": pct(0.99),
            "max": latencies[-1],
        },
        "total_work_ms": round(sum(latencies), 3),
    }


SIMULATE: Task[SimulateParams] = Task(
    name="simulate",
    description="Synthetic latency, CPU burn and injected faults, for load and fault testing.",
    params_model=SimulateParams,
    run=simulate,
    retryable=(SimulatedThrottle,),
    cpu_bound=lambda params: params.cpu_ms > 0,
    summarize=summarize,
)

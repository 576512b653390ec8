"""What a run costs on AWS, for this design (Standard parent, STANDARD or EXPRESS children)
and for the naive thread-pool orchestrator. Prices come from prices.json (dated, sourced).

The model, per run of ``items`` items at ``item_ms`` each, in batches of ``batch_size``:
- a batch takes ``batch_size * item_ms / item_concurrency + overhead_ms`` in its worker;
- STANDARD children cost ~4 state transitions each (start, ProcessBatch, its result, end);
  EXPRESS children cost a request plus their duration in 64 MB, 100 ms steps, and so are
  billed for the time they wait on their worker;
- the parent makes ~6 transitions; prepare and aggregate are short Lambdas;
- S3: per batch 3 GETs (run record, batch items, result read by the aggregate) and 1 PUT
  (results); per run 5 PUTs and 3 GETs. Reads and writes the task itself makes are the same
  in both designs and left out;
- the orchestrator is billed for planning, the whole fan-out (waves of ``concurrency``
  batches, so the slowest batch of each wave sets its pace) and aggregating.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PRICES_FILE = Path(__file__).with_name("prices.json")
PARENT_TRANSITIONS = 6
CHILD_TRANSITIONS = 4
LAMBDA_LIMIT_SECONDS = 900


def load_prices(path: Path = PRICES_FILE) -> dict[str, Any]:
    return dict(json.loads(path.read_text()))


@dataclass(frozen=True)
class Workload:
    items: int
    item_ms: float
    memory_mb: int = 1769
    batch_size: int = 50
    concurrency: int = 10
    item_concurrency: int = 1
    overhead_ms: float = 50.0
    """Per batch: reading its items and writing its results."""
    control_memory_mb: int = 1024
    """prepare, aggregate and the orchestrator."""

    @property
    def batches(self) -> int:
        return math.ceil(self.items / self.batch_size)

    @property
    def batch_seconds(self) -> float:
        per_batch_items = min(self.batch_size, self.items)
        return (per_batch_items * self.item_ms / self.item_concurrency + self.overhead_ms) / 1000

    @property
    def prepare_seconds(self) -> float:
        return 0.3 + self.items * 0.00002

    @property
    def aggregate_seconds(self) -> float:
        return 0.3 + self.batches * 0.005


@dataclass
class Cost:
    design: str
    lambda_gb_seconds: float
    lambda_requests: int
    transitions: int = 0
    express_requests: int = 0
    express_gb_seconds: float = 0.0
    s3_puts: int = 0
    s3_gets: int = 0
    makespan_seconds: float = 0.0
    waiting_gb_seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    def dollars(self, prices: dict[str, Any]) -> dict[str, float]:
        parts = {
            "lambda": self.lambda_gb_seconds * prices["lambda_arm64_per_gb_second"]
            + self.lambda_requests * prices["lambda_per_request"],
            "step_functions": self.transitions * prices["sfn_standard_per_transition"]
            + self.express_requests * prices["sfn_express_per_request"]
            + self.express_gb_seconds * prices["sfn_express_per_gb_second"],
            "s3": self.s3_puts * prices["s3_put_copy_post_list_per_request"]
            + self.s3_gets * prices["s3_get_and_other_per_request"],
        }
        parts["total"] = sum(parts.values())
        return parts


def _gb_s(seconds: float, memory_mb: int) -> float:
    return seconds * memory_mb / 1024


def state_machine_cost(w: Workload, child_type: str, prices: dict[str, Any]) -> Cost:
    worker_gb_s = w.batches * _gb_s(w.batch_seconds, w.memory_mb)
    control_gb_s = _gb_s(w.prepare_seconds + w.aggregate_seconds, w.control_memory_mb)
    waves = math.ceil(w.batches / w.concurrency)
    cost = Cost(
        design=f"SFN, {child_type.lower()} children",
        lambda_gb_seconds=worker_gb_s + control_gb_s,
        lambda_requests=w.batches + 2,
        transitions=PARENT_TRANSITIONS
        + (CHILD_TRANSITIONS * w.batches if child_type == "STANDARD" else 0),
        s3_puts=w.batches + 5 + 1,  # + the Map's ResultWriter manifest
        s3_gets=3 * w.batches + 3 + 1,  # + the Map's ItemReader
        makespan_seconds=w.prepare_seconds + waves * w.batch_seconds + w.aggregate_seconds,
    )
    if child_type == "EXPRESS":
        step = prices["sfn_express_billing_increment_ms"] / 1000
        billed = math.ceil(w.batch_seconds / step) * step
        cost.express_requests = w.batches
        cost.express_gb_seconds = w.batches * _gb_s(billed, prices["sfn_express_memory_step_mb"])
    return cost


def orchestrator_cost(w: Workload) -> Cost:
    waves = math.ceil(w.batches / w.concurrency)
    fanout = waves * w.batch_seconds
    orchestrator_seconds = w.prepare_seconds + fanout + w.aggregate_seconds
    cost = Cost(
        design="orchestrator",
        lambda_gb_seconds=w.batches * _gb_s(w.batch_seconds, w.memory_mb)
        + _gb_s(orchestrator_seconds, w.control_memory_mb),
        lambda_requests=w.batches + 1,
        s3_puts=w.batches + 5,
        s3_gets=3 * w.batches + 2,
        makespan_seconds=orchestrator_seconds,
        waiting_gb_seconds=_gb_s(fanout, w.control_memory_mb),
    )
    if orchestrator_seconds > LAMBDA_LIMIT_SECONDS:
        cost.notes.append(
            f"needs {orchestrator_seconds:,.0f} s: over Lambda's 900 s limit, so it would fail"
        )
    return cost


def express_crossover_seconds(prices: dict[str, Any]) -> float:
    """Batch duration at which an EXPRESS child costs what a STANDARD child costs."""
    standard = CHILD_TRANSITIONS * prices["sfn_standard_per_transition"]
    per_second = prices["sfn_express_per_gb_second"] * prices["sfn_express_memory_step_mb"] / 1024
    return (standard - prices["sfn_express_per_request"]) / per_second


def cheapest_batch_size(
    w: Workload, prices: dict[str, Any], worker_timeout_s: float = 300
) -> tuple[int, str, float]:
    """The (batch size, child type, dollars) with the lowest total for this workload, among
    batch sizes that still make at least ``concurrency`` batches (bigger batches would be
    cheaper only by giving up parallelism) and fit the worker's timeout with room to spare."""
    best: tuple[int, str, float] | None = None
    for size in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000):
        if size > max(w.items, 1):
            break
        candidate = Workload(**{**w.__dict__, "batch_size": size})
        too_few = candidate.batches < min(w.concurrency, w.items)
        if candidate.batch_seconds > 0.8 * worker_timeout_s or (too_few and best is not None):
            break
        for child in ("STANDARD", "EXPRESS"):
            dollars = state_machine_cost(candidate, child, prices).dollars(prices)["total"]
            if best is None or dollars < best[2]:
                best = (size, child, dollars)
    if best is None:
        raise ValueError("even one item per batch does not fit the worker timeout")
    return best

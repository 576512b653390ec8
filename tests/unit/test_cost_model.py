"""The cost model against a hand-computed example (prices from benchmarks/prices.json)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from benchmarks.cost_model import (
    Workload,
    cheapest_batch_size,
    express_crossover_seconds,
    load_prices,
    orchestrator_cost,
    state_machine_cost,
)
from local_engine.cli import main

PRICES = load_prices()
# 1,000 items x 100 ms in 100 batches of 10 (1.0 s each, no overhead), 10 at once, 1 GB.
W = Workload(
    items=1000,
    item_ms=100,
    memory_mb=1024,
    batch_size=10,
    concurrency=10,
    overhead_ms=0,
    control_memory_mb=1024,
)


def test_prices_file_is_dated_and_sourced():
    assert PRICES["as_of"] and PRICES["source"] and PRICES["region"] == "us-east-1"


def test_standard_children_by_hand():
    # Lambda: 100 GB-s of workers + (0.32 s prepare + 0.8 s aggregate) = 101.12 GB-s, 102 requests.
    # Step Functions: 6 + 4 x 100 = 406 transitions. S3: 106 PUTs, 304 GETs.
    cost = state_machine_cost(W, "STANDARD", PRICES)
    assert cost.lambda_gb_seconds == pytest.approx(101.12)
    assert cost.transitions == 406
    dollars = cost.dollars(PRICES)
    assert dollars["lambda"] == pytest.approx(101.12 * 0.0000133334 + 102 * 0.0000002)
    assert dollars["step_functions"] == pytest.approx(0.01015)
    assert dollars["s3"] == pytest.approx(106 * 0.000005 + 304 * 0.0000004)
    assert dollars["total"] == pytest.approx(0.0121702734, rel=1e-6)
    assert cost.waiting_gb_seconds == 0


def test_express_children_by_hand():
    # 100 requests ($0.0001) + 100 x 1.0 s at 64 MB = 6.25 GB-s ($0.0001041875) + 6 transitions.
    cost = state_machine_cost(W, "EXPRESS", PRICES)
    dollars = cost.dollars(PRICES)
    assert cost.express_gb_seconds == pytest.approx(6.25)
    assert dollars["step_functions"] == pytest.approx(0.00015 + 0.0001 + 0.0001041875)
    assert dollars["total"] == pytest.approx(0.0023744609, rel=1e-6)


def test_orchestrator_by_hand():
    # 10 waves of 1.0 s: it waits 10 s at 1 GB, plus its own 1.12 s; total 111.12 GB-s.
    cost = orchestrator_cost(W)
    assert cost.lambda_gb_seconds == pytest.approx(111.12)
    assert cost.waiting_gb_seconds == pytest.approx(10.0)
    assert cost.dollars(PRICES)["total"] == pytest.approx(0.0021476074, rel=1e-6)
    assert not cost.notes


def test_crossover_and_recommendations():
    assert express_crossover_seconds(PRICES) == pytest.approx(95.02, abs=0.01)
    size, child, _ = cheapest_batch_size(W, PRICES)
    assert child == "EXPRESS" and size >= 10
    long_batches = Workload(items=100, item_ms=120_000, batch_size=1)
    assert cheapest_batch_size(long_batches, PRICES)[1] == "STANDARD"


def test_orchestrator_past_fifteen_minutes_is_flagged():
    cost = orchestrator_cost(Workload(items=100_000, item_ms=100, batch_size=10, concurrency=10))
    assert "over Lambda's 900 s limit" in cost.notes[0]


def test_estimate_command_prints_the_table_and_advice():
    result = CliRunner().invoke(
        main,
        [
            "estimate",
            "--items",
            "1000",
            "--item-ms",
            "100",
            "--memory-mb",
            "1024",
            "--batch-size",
            "10",
        ],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    assert "orchestrator" in result.output and "EXPRESS children cost less" in result.output
    assert "as of 2026-11-01" in result.output

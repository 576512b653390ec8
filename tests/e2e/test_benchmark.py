"""The benchmark's accounting on a small heavy-tailed run (its timings are printed by
`scatter-gather bench`, never asserted here)."""

from __future__ import annotations

import pytest
from rich.console import Console

from benchmarks.compare import compare
from benchmarks.report import comparison_table, write_outputs
from local_engine.deploy import deploy

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("bench")]


@pytest.fixture(scope="module")
def runs(engine, deployment):
    baseline = deploy(engine, with_baseline=True)
    return compare(
        engine,
        baseline,
        [60],
        ("state-machine", "orchestrator"),
        batch_size=6,
        concurrency=5,
        median_ms=10,
    )


def test_the_state_machine_bills_no_lambda_time_waiting_on_lambdas(runs):
    sfn = next(r for r in runs if r.design == "state-machine")
    assert sfn.figures["invocations_by_lambda"] == 0, "no function of this design invokes another"
    assert sfn.figures["waiting_gb_seconds"] == 0
    assert set(sfn.figures["gb_seconds"]) == {"prepare", "worker", "aggregate"}


def test_the_orchestrator_pays_for_waiting(runs):
    orch = next(r for r in runs if r.design == "orchestrator")
    figures = orch.figures
    assert figures["invocations_by_lambda"] == 10, "it invoked every batch itself"
    assert 0 < figures["waiting_gb_seconds"] <= figures["gb_seconds"]["orchestrator"]
    assert figures["items"]["succeeded"] == 60


def test_both_designs_did_the_same_work_and_are_costed_in_full(runs):
    sfn, orch = (
        next(r for r in runs if r.design == d).figures for d in ("state-machine", "orchestrator")
    )
    assert sfn["items"] == orch["items"] == {"total": 60, "succeeded": 60, "failed": 0, "lost": 0}
    assert sfn["transitions"] >= 10 * 3, "parent states plus every child's start, attempt and end"
    for figures in (sfn, orch):
        dollars = figures["dollars"]
        assert dollars["lambda"] > 0 and dollars["s3"] > 0
        assert (
            figures["s3_requests"]["s3:put-copy-post-list"] >= 10
            and figures["s3_requests"]["s3:get-head-other"] >= 20
        )
        assert figures["ideal_s"] > 0 and figures["makespan_over_ideal"] >= 1
    assert (
        sfn["dollars"]["step_functions_standard"] > 0
        and orch["dollars"]["step_functions_standard"] == 0
    )


def test_table_and_pictures_are_written(runs, tmp_path):
    Console(width=200, record=True).print(comparison_table(runs))
    paths = write_outputs(runs, tmp_path)
    assert [p.name for p in paths] == [
        "bench.json",
        "timeline-state-machine-60.png",
        "timeline-orchestrator-60.png",
    ]
    assert all(p.stat().st_size > 1000 for p in paths)

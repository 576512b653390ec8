"""The fault campaign in the suite (40 items a scenario): every invariant holds for every
fault at every rate. `scatter-gather faults` prints the same table for bigger runs."""

from __future__ import annotations

import pytest
from rich.console import Console

from local_engine.campaign import Row, run_scenario, scenarios, table

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("faults")]

ROWS: list[Row] = []


@pytest.mark.parametrize("scenario", scenarios(), ids=lambda s: f"{s.fault}-{s.rate}")
def test_fault_scenario_keeps_every_invariant(engine, deployment, scenario):
    row = run_scenario(engine, scenario, items=40)
    ROWS.append(row)
    assert row.ok, row.problems
    if scenario.fault != "none":
        assert row.injected > 0, "the scenario really injected faults"


def test_print_the_campaign_table(capsys):
    if ROWS:
        Console(width=160).print(table(ROWS))
    assert all(row.ok for row in ROWS)

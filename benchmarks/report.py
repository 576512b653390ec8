"""Printing and saving benchmark results."""

from __future__ import annotations

import json
from pathlib import Path

from rich.table import Table

from local_engine.timeline import draw_timeline

from .compare import DesignRun


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if b else ("-" if not a else "SFN: 0")


def comparison_table(runs: list[DesignRun]) -> Table:
    table = Table(
        title="State machine vs thread-pool orchestrator (heavy-tailed simulate, log-normal, p99 = 10 x median)"
    )
    columns = (
        "items",
        "design",
        "prepare",
        "worker",
        "aggregate",
        "orchestr.",
        "GB-s total",
        "waiting GB-s",
        "makespan",
        "ideal",
        "/ideal",
        "$ (std children)",
        "$ (express, modelled)",
    )
    for column in columns:
        table.add_column(column, justify="left" if column == "design" else "right")
    by_size: dict[int, dict[str, DesignRun]] = {}
    for run in runs:
        by_size.setdefault(run.items, {})[run.design] = run
    for items, designs in by_size.items():
        for run in designs.values():
            f = run.figures
            gb = f["gb_seconds"]
            table.add_row(
                f"{items:,}",
                run.design,
                *(
                    f"{gb.get(k, 0):.2f}"
                    for k in ("prepare", "worker", "aggregate", "orchestrator")
                ),
                f"{f['gb_seconds_total']:.2f}",
                f"{f['waiting_gb_seconds']:.2f}",
                f"{f['makespan_s']:.1f} s",
                f"{f['ideal_s']:.1f} s",
                f"{f['makespan_over_ideal']}",
                f"{f['dollars']['total_standard']:.6f}",
                f"{f['dollars']['total_express_modelled']:.6f}",
            )
        if len(designs) == 2:
            sm, orch = designs["state-machine"].figures, designs["orchestrator"].figures
            table.add_row(
                "",
                "[bold]orch / SFN[/bold]",
                "",
                "",
                "",
                "",
                _ratio(orch["gb_seconds_total"], sm["gb_seconds_total"]),
                _ratio(orch["waiting_gb_seconds"], sm["waiting_gb_seconds"]),
                _ratio(orch["makespan_s"], sm["makespan_s"]),
                "",
                "",
                _ratio(orch["dollars"]["total_standard"], sm["dollars"]["total_standard"]),
                _ratio(
                    orch["dollars"]["total_express_modelled"],
                    sm["dollars"]["total_express_modelled"],
                ),
                end_section=True,
            )
    return table


def write_outputs(runs: list[DesignRun], out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    results = out_dir / "bench.json"
    results.write_text(
        json.dumps(
            [{"items": r.items, "design": r.design, **r.figures} for r in runs],
            indent=2,
            default=str,
        )
        + "\n"
    )
    paths = [results]
    for run in runs:
        picture = out_dir / f"timeline-{run.design}-{run.items}.png"
        draw_timeline(
            run.reports,
            picture,
            f"{run.design}: {run.items:,} items, makespan {run.figures['makespan_s']} s",
        )
        paths.append(picture)
    return paths

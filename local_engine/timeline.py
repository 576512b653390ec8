"""A timeline picture of a run from the runtime's REPORT records: one row per batch (every
attempt a bar, coloured by outcome), prepare and aggregate, and - for the orchestrator
baseline - the time it sat billed, waiting on its workers."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt
from matplotlib.patches import Patch

from .runtime import Report

COLOURS = {
    "ok": "#2e7d32",
    "error": "#ef6c00",
    "timeout": "#c62828",
    "crash": "#6a1b9a",
    "throttled": "#9e9e9e",
}
CONTROL = "#1565c0"
WAITING = "#fbc02d"


def draw_timeline(reports: list[Report], path: Path, title: str) -> Path:
    if not reports:
        raise ValueError("no invocations to draw")
    t0 = min(r.started_at for r in reports)
    rows: dict[str, list[Report]] = defaultdict(list)
    for report in reports:
        key = report.label or report.function.removeprefix("scatter-gather-")
        rows[key].append(report)
    control = [k for k in ("orchestrator", "prepare") if k in rows]
    batches = sorted(
        (k for k in rows if k not in ("orchestrator", "prepare", "aggregate")),
        key=lambda k: min(r.started_at for r in rows[k]),
    )
    order = [*control, *batches, *(["aggregate"] if "aggregate" in rows else [])]

    height = min(14.0, 1.5 + 0.18 * len(order))
    fig, ax = plt.subplots(figsize=(11, height))
    for y, key in enumerate(order):
        for report in rows[key]:
            start, width = report.started_at - t0, max(report.ended_at - report.started_at, 0.002)
            if key == "orchestrator":
                ax.barh(y, width, left=start, color=CONTROL, height=0.8)
                # Its workers ran in between: all of that time it was waiting, and billed for it.
                workers = [r for r in reports if r.invoked_by_lambda]
                if workers:
                    w_start = min(r.started_at for r in workers) - t0
                    w_end = max(r.ended_at for r in workers) - t0
                    ax.barh(
                        y,
                        w_end - w_start,
                        left=w_start,
                        color=WAITING,
                        height=0.8,
                        hatch="//",
                        edgecolor="#795548",
                    )
                continue
            colour = (
                CONTROL
                if key in ("prepare", "aggregate")
                else COLOURS.get(report.status, "#000000")
            )
            ax.barh(
                y,
                width,
                left=start,
                color=colour,
                height=0.8 if report.status != "throttled" else 0.3,
            )
    ax.set_yticks(range(len(order)))
    ax.set_yticklabels(
        order
        if len(order) <= 60
        else [k if k in ("orchestrator", "prepare", "aggregate") else "" for k in order],
        fontsize=7,
    )
    ax.invert_yaxis()
    ax.set_xlabel("seconds since the first invocation")
    ax.set_title(title)
    legend = [
        Patch(color=CONTROL, label="prepare / aggregate / orchestrator"),
        Patch(color=COLOURS["ok"], label="batch ok"),
        Patch(color=COLOURS["error"], label="batch error (retried or caught)"),
        Patch(color=COLOURS["timeout"], label="timed out"),
        Patch(color=COLOURS["crash"], label="crashed"),
        Patch(color=COLOURS["throttled"], label="throttled"),
    ]
    if "orchestrator" in rows:
        legend.append(
            Patch(
                facecolor=WAITING,
                hatch="//",
                edgecolor="#795548",
                label="orchestrator idle, billed, waiting",
            )
        )
    ax.legend(
        handles=legend,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.08 * 14 / height),
        ncol=4,
        fontsize=7,
    )
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path

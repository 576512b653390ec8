"""Following an execution: a live progress bar from DescribeMapRun item counts (the same API
on AWS and locally), then the final description."""

from __future__ import annotations

import time
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

TERMINAL = {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}


def map_run_counts(sfn: Any, execution_arn: str) -> dict[str, int] | None:
    """Item counts of the execution's (first) Map run, or None before it starts."""
    runs = sfn.list_map_runs(executionArn=execution_arn).get("mapRuns", [])
    if not runs:
        return None
    counts = sfn.describe_map_run(mapRunArn=runs[0]["mapRunArn"]).get("itemCounts", {})
    return {k: int(v) for k, v in counts.items() if isinstance(v, int)}


def follow(
    sfn: Any,
    execution_arn: str,
    console: Console,
    poll_seconds: float = 0.5,
    timeout: float | None = None,
) -> dict[str, Any]:
    """Blocks until the execution ends and returns its description."""
    started = time.monotonic()
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[detail]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        bar = progress.add_task("Preparing", total=None, detail="")
        while True:
            description = sfn.describe_execution(executionArn=execution_arn)
            counts = map_run_counts(sfn, execution_arn)
            if counts and counts.get("total"):
                done = (
                    counts.get("succeeded", 0)
                    + counts.get("failed", 0)
                    + counts.get("timedOut", 0)
                    + counts.get("aborted", 0)
                )
                finished_map = done >= counts["total"]
                label = (
                    "Aggregating"
                    if finished_map and description["status"] == "RUNNING"
                    else "Batches"
                )
                detail = f"running {counts.get('running', 0)}"
                if counts.get("failed"):
                    detail += f", [red]failed {counts['failed']}[/red]"
                progress.update(
                    bar, description=label, total=counts["total"], completed=done, detail=detail
                )
            if description["status"] in TERMINAL:
                progress.update(bar, description=description["status"].capitalize())
                return dict(description)
            if timeout is not None and time.monotonic() - started > timeout:
                raise TimeoutError(f"{execution_arn} still running after {timeout:.0f} s")
            time.sleep(poll_seconds)

"""Printing an execution's outcome and report for a person."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console
from rich.table import Table


def parse_output(description: dict[str, Any]) -> dict[str, Any]:
    try:
        value = json.loads(description.get("output") or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def show_summary(console: Console, summary: dict[str, Any], report: dict[str, Any] | None) -> None:
    items = summary.get("items", {})
    table = Table(title=f"Run {summary.get('run_id')}", show_header=False)
    table.add_column(style="bold")
    table.add_column(justify="right")
    table.add_row("Status", summary.get("status", "?"))
    for key in ("total", "succeeded", "failed", "lost"):
        table.add_row(f"Items {key}", f"{items.get(key, 0):,}")
    table.add_row(
        "Failure %",
        f"{summary.get('failure_percent', 0)} (max {summary.get('max_failure_percent', 0)})",
    )
    if report:
        batches = report.get("batches", {})
        table.add_row(
            "Batches",
            f"{batches.get('total', 0):,} ({batches.get('retried', 0)} retried, {batches.get('with_failure_record', 0)} failed)",
        )
        durations = batches.get("duration_ms", {})
        if durations:
            table.add_row(
                "Batch time p50 / max",
                f"{durations['p50'] / 1000:.2f} s / {durations['max'] / 1000:.2f} s",
            )
    console.print(table)
    errors = (report or {}).get("errors") or summary.get("top_errors") or []
    if errors:
        error_table = Table(title="Errors")
        for column in ("Type", "Count", "Example"):
            error_table.add_column(column)
        for error in errors[:10]:
            error_table.add_row(
                error["type"], str(error["count"]), str(error.get("message", ""))[:100]
            )
        console.print(error_table)
    task_summary = (report or {}).get("task_summary")
    if task_summary:
        console.print("[bold]Task summary[/bold]")
        text = json.dumps(task_summary)
        if len(text) > 4000:  # long lists (largest objects, duplicates) stay in report.json
            text = json.dumps({k: v for k, v in task_summary.items() if not isinstance(v, list)})
        console.print_json(text)


def failure_message(description: dict[str, Any]) -> str:
    error = description.get("error") or description.get("status", "FAILED")
    cause = description.get("cause") or ""
    try:
        payload = json.loads(cause)
        if isinstance(payload, dict) and "errorMessage" in payload:
            cause = payload["errorMessage"]
    except ValueError:
        pass
    return f"{error}: {cause}" if cause else str(error)

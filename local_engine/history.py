"""A readable per-state timeline of an execution, from GetExecutionHistory."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from rich.table import Table


@dataclass
class StateSpan:
    name: str
    kind: str
    entered: datetime
    exited: datetime | None = None
    attempts: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def seconds(self) -> float | None:
        return (self.exited - self.entered).total_seconds() if self.exited else None


def events(sfn: Any, execution_arn: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"executionArn": execution_arn, "maxResults": 1000}
    while True:
        page = sfn.get_execution_history(**kwargs)
        found.extend(page["events"])
        if not page.get("nextToken"):
            return found
        kwargs["nextToken"] = page["nextToken"]


def spans(history: list[dict[str, Any]]) -> list[StateSpan]:
    """One span per state visit, in the order states were entered."""
    result: list[StateSpan] = []
    open_spans: dict[str, StateSpan] = {}
    for event in history:
        kind = event["type"]
        if kind.endswith("StateEntered"):
            name = event["stateEnteredEventDetails"]["name"]
            span = StateSpan(
                name=name, kind=kind.removesuffix("StateEntered"), entered=event["timestamp"]
            )
            open_spans[name] = span
            result.append(span)
        elif kind.endswith("StateExited"):
            name = event["stateExitedEventDetails"]["name"]
            if name in open_spans:
                open_spans.pop(name).exited = event["timestamp"]
        elif kind in ("TaskScheduled", "MapRunStarted") and result:
            result[-1].attempts += 1
        elif (
            kind in ("TaskFailed", "TaskTimedOut", "MapRunFailed", "LambdaFunctionFailed")
            and result
        ):
            details: dict[str, Any] = next(
                (v for k, v in event.items() if k.endswith("EventDetails")), {}
            )
            result[-1].errors.append(str(details.get("error", kind)))
        elif kind in ("ExecutionFailed", "ExecutionTimedOut", "ExecutionAborted"):
            now = event["timestamp"]
            for span in open_spans.values():
                span.exited = now
    return result


def timeline_table(history: list[dict[str, Any]], title: str = "") -> Table:
    table = Table(title=title or None, show_lines=False)
    for column, justify in (
        ("State", "left"),
        ("Type", "left"),
        ("Start", "right"),
        ("Duration", "right"),
        ("Attempts", "right"),
        ("Errors", "left"),
    ):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    if not history:
        return table
    t0 = history[0]["timestamp"]
    for span in spans(history):
        seconds = span.seconds
        table.add_row(
            span.name,
            span.kind,
            f"+{(span.entered - t0).total_seconds():.2f} s",
            f"{seconds:.2f} s" if seconds is not None else "running",
            str(span.attempts) if span.attempts else "",
            ", ".join(sorted(set(span.errors))),
        )
    last = history[-1]
    table.caption = f"{last['type']} after {(last['timestamp'] - t0).total_seconds():.2f} s, {len(history)} events"
    return table

"""The task plug-in interface.

A task is a plain function ``run(item, params, ctx) -> JSON-able result`` plus a few facts
about it. To add one, write a module in this package that builds a ``Task`` and list it in
``tasks/__init__.py``. The worker takes care of concurrency, deadlines, errors and storage.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict

P = TypeVar("P", bound=BaseModel)


class TaskParams(BaseModel):
    """Base for a task's ``params`` model; unknown parameters are an error."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True)
class TaskContext:
    """What a task may know about where it runs."""

    run_id: str
    bucket: str
    attempt: int
    s3_factory: Callable[[], Any] = field(repr=False, default=lambda: None)

    @cached_property
    def s3(self) -> Any:
        """A boto3 S3 client, made on first use (and so once per worker process)."""
        return self.s3_factory()


@dataclass(frozen=True)
class Task(Generic[P]):
    name: str
    description: str
    params_model: type[P]
    run: Callable[[Any, P, TaskContext], Any]
    """Does the work for one item and returns a JSON-able result. Raise to fail the item."""
    retryable: tuple[type[BaseException], ...] = ()
    """Exceptions worth another attempt (throttling, timeouts of a downstream service)."""
    cpu_bound: Callable[[P], bool] = lambda _params: False
    """True runs items in worker processes (up to the vCPUs); False in threads."""
    check_item: Callable[[Any], None] = lambda _item: None
    """Raises ValueError for an item this task can never process, so prepare rejects the run."""
    summarize: Callable[[Iterable[tuple[Any, Any]]], dict[str, Any]] | None = None
    """Given (item, result) of every succeeded item, returns the task's part of the report."""

    def parse_params(self, raw: dict[str, Any]) -> P:
        return self.params_model.model_validate(raw)

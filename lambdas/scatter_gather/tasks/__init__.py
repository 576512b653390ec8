"""Registry of tasks. Add a task by importing it here and listing it in ``TASKS``."""

from __future__ import annotations

from typing import Any

from ..errors import InvalidInput
from .base import Task, TaskContext, TaskParams
from .s3_digest import S3_DIGEST
from .simulate import SIMULATE

TASKS: dict[str, Task[Any]] = {task.name: task for task in (S3_DIGEST, SIMULATE)}


def get_task(name: str) -> Task[Any]:
    try:
        return TASKS[name]
    except KeyError:
        known = ", ".join(sorted(TASKS))
        raise InvalidInput(f"unknown task {name!r}; known tasks: {known}") from None


__all__ = ["TASKS", "Task", "TaskContext", "TaskParams", "get_task"]

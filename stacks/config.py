"""Deployment settings: ``cdk.json`` context under the ``scatter-gather`` key, overridable
with ``-c key=value`` (values from the command line arrive as strings; pydantic coerces them).
No CDK import here, so it is cheap to test."""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .workflow_spec import CHILD_EXECUTION_TYPES

CONTEXT_KEY = "scatter-gather"


class ConfigError(Exception):
    """A setting in cdk.json or -c is wrong; the message names it."""


class StackConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    stack_name: str = Field(default="ScatterGather", pattern=r"^[A-Za-z][A-Za-z0-9-]{0,63}$")
    child_execution_type: Literal["STANDARD", "EXPRESS"] = "STANDARD"
    run_retention_days: int = Field(
        default=30, ge=1, le=3650, description="runs/ objects expire after this"
    )
    removal_policy: Literal["retain", "destroy"] = "retain"
    log_retention_days: int = Field(default=30, ge=1, le=3653)
    prepare_timeout_seconds: int = Field(default=300, ge=10, le=900)
    prepare_memory_mb: int = Field(default=1024, ge=128, le=10240)
    worker_timeout_seconds: int = Field(default=300, ge=10, le=900)
    worker_memory_mb: int = Field(default=1769, ge=128, le=10240)
    worker_reserved_concurrency: int | None = Field(default=None, ge=1)
    aggregate_timeout_seconds: int = Field(default=900, ge=10, le=900)
    aggregate_memory_mb: int = Field(default=2048, ge=128, le=10240)
    source_buckets: list[str] = Field(
        default_factory=list, description="extra buckets prepare and workers may read"
    )
    schedule_expression: str | None = Field(
        default=None, description="cron(...) or rate(...); unset means no schedule"
    )
    schedule_timezone: str = "UTC"
    schedule_enabled: bool = True
    schedule_input: dict[str, Any] | None = None
    alarm_email: str | None = None

    @field_validator("schedule_expression")
    @classmethod
    def _schedule(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not (value.startswith(("cron(", "rate(", "at(")) and value.endswith(")")):
            raise ValueError("must be cron(...), rate(...) or at(...), e.g. cron(0 6 * * ? *)")
        return value

    @field_validator("source_buckets", mode="before")
    @classmethod
    def _buckets(cls, value: Any) -> Any:
        return [b for b in value.split(",") if b] if isinstance(value, str) else value

    @field_validator("schedule_input", mode="before")
    @classmethod
    def _json(cls, value: Any) -> Any:
        return json.loads(value) if isinstance(value, str) and value else value

    def function_overrides(self) -> dict[str, dict[str, Any]]:
        return {
            key: {
                "timeout_seconds": getattr(self, f"{key}_timeout_seconds"),
                "memory_mb": getattr(self, f"{key}_memory_mb"),
            }
            for key in ("prepare", "worker", "aggregate")
        }


def load_config(
    context: dict[str, Any] | None, overrides: dict[str, Any] | None = None
) -> StackConfig:
    """``context`` is the ``scatter-gather`` object from cdk.json; ``overrides`` the flat
    ``-c scatter-gather:key=value`` pairs."""
    values = {**(context or {}), **(overrides or {})}
    try:
        config = StackConfig.model_validate(values)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"invalid {CONTEXT_KEY} settings: {problems}") from None
    assert config.child_execution_type in CHILD_EXECUTION_TYPES
    return config

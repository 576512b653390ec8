"""The functions' environment, validated once when a handler module loads."""

from __future__ import annotations

import os
from functools import lru_cache

from pydantic import BaseModel, Field, ValidationError


class FunctionEnvironment(BaseModel):
    RUN_BUCKET: str = Field(min_length=3, description="bucket for run data")
    DEADLINE_RESERVE_MS: int = Field(
        default=3000, ge=0, description="worker: time kept back to write results before the timeout"
    )


@lru_cache(maxsize=1)
def environment() -> FunctionEnvironment:
    try:
        return FunctionEnvironment.model_validate(dict(os.environ))
    except ValidationError as exc:
        raise RuntimeError(f"function misconfigured: {exc}") from None

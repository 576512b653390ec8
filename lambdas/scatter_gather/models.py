"""Data contracts between the execution input, the three functions and the report.

Input models forbid unknown fields: a typo in an option must fail loudly, not be ignored."""

from __future__ import annotations

import posixpath
import unicodedata
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from . import limits


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_key_part(value: str, *, allow_empty: bool) -> str:
    """S3 keys and prefixes from users: no absolute paths, no '..' segments, no control
    characters. (Pydantic's error location names the field.) S3 itself would accept them, but they are nearly always a mistake and make
    keys that tools mishandle."""
    if not value and not allow_empty:
        raise ValueError("must not be empty")
    if value.startswith("/"):
        raise ValueError(f"must not start with '/': S3 keys are relative ({value!r})")
    if any(part in ("..", ".") for part in value.split("/")):
        raise ValueError(f"must not contain '.' or '..' path segments ({value!r})")
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Cs") for ch in value):
        raise ValueError(
            "must not contain control or invisible formatting characters "
            "(e.g. NUL, newline, right-to-left override, zero-width space)"
        )
    if len(value.encode()) > 1024:
        raise ValueError("is longer than S3's 1,024-byte key limit")
    return value


BucketName = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")]


class InlineSource(_Strict):
    """Items given in the input itself; each item is any JSON value."""

    type: Literal["inline"]
    items: list[Any] = Field(min_length=1, max_length=limits.MAX_INLINE_INPUT_ITEMS)


class S3PrefixSource(_Strict):
    """Every object under a prefix; the object size is the batching hint."""

    type: Literal["s3_prefix"]
    bucket: BucketName | None = None
    prefix: str
    suffix: str | None = None

    @field_validator("prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        return _check_key_part(value, allow_empty=True)


class ManifestSource(_Strict):
    """One object listing the items: a JSON array, JSON Lines, or CSV with a header row."""

    type: Literal["manifest"]
    bucket: BucketName | None = None
    key: str
    format: Literal["json", "jsonl", "csv"] | None = None

    @field_validator("key")
    @classmethod
    def _key(cls, value: str) -> str:
        return _check_key_part(value, allow_empty=False)

    @property
    def resolved_format(self) -> str:
        if self.format:
            return self.format
        ext = posixpath.splitext(self.key)[1].lower()
        by_ext = {".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv"}
        if ext not in by_ext:
            raise ValueError(
                f"cannot tell the format of manifest {self.key!r} from its extension; "
                "set source.format to one of json, jsonl, csv"
            )
        return by_ext[ext]


Source = Annotated[InlineSource | S3PrefixSource | ManifestSource, Field(discriminator="type")]


class RunOptions(_Strict):
    batch_size: int = Field(
        default=limits.DEFAULT_BATCH_SIZE, ge=limits.MIN_BATCH_SIZE, le=limits.MAX_BATCH_SIZE
    )
    max_concurrency: int = Field(
        default=limits.DEFAULT_CONCURRENCY, ge=1, le=limits.MAX_CONCURRENCY
    )
    item_concurrency: int = Field(
        default=limits.DEFAULT_ITEM_CONCURRENCY, ge=1, le=limits.MAX_ITEM_CONCURRENCY
    )
    max_failure_percent: float = Field(default=0.0, ge=0.0, le=100.0, allow_inf_nan=False)


class RunInput(_Strict):
    """The execution input."""

    run_id: str | None = Field(default=None, pattern=limits.RUN_ID_PATTERN)
    task: str = Field(min_length=1, max_length=64)
    source: Source
    params: dict[str, Any] = Field(default_factory=dict)
    options: RunOptions = Field(default_factory=RunOptions)


class PrepareEvent(BaseModel):
    """What the state machine passes to prepare: the raw input plus the execution's name."""

    model_config = ConfigDict(extra="ignore")
    input: Any
    execution_name: str = Field(min_length=1)


class RunRecord(_Strict):
    """``runs/<run_id>/run.json``: the claim of a run id and everything a worker needs that
    is the same for every batch, so child inputs stay tiny."""

    run_id: str
    execution_name: str
    task: str
    params: dict[str, Any]
    options: RunOptions
    item_count: int
    batch_count: int
    created_at: str


class BatchRef(_Strict):
    """One entry of ``batches.json``: where a batch's items sit in ``items.jsonl``."""

    batch_id: str
    start: int = Field(ge=0)
    end: int = Field(ge=0, description="inclusive byte offset, as in an HTTP Range")
    items: int = Field(ge=1)
    size: int = Field(ge=0, description="sum of the items' size hints")


class WorkerEvent(BaseModel):
    model_config = ConfigDict(extra="ignore")
    run_id: str = Field(pattern=limits.RUN_ID_PATTERN)
    bucket: str
    batch: BatchRef
    attempt: int = 0


class WorkItem(_Strict):
    """One line of ``items.jsonl``. ``index`` is the item's position in the source and its
    identity from here on: reconciliation counts indexes."""

    index: int = Field(ge=0)
    item: Any
    size: int | None = None


class ItemError(_Strict):
    type: str
    message: str
    retryable: bool = False


class ItemOutcome(_Strict):
    index: int
    ok: bool
    result: Any = None
    error: ItemError | None = None
    duration_ms: float = 0.0

    @model_validator(mode="after")
    def _error_iff_failed(self) -> ItemOutcome:
        if self.ok == (self.error is not None):
            raise ValueError("an outcome has an error exactly when it is not ok")
        return self


class BatchHeader(_Strict):
    """First line of a result object."""

    batch_id: str
    attempt: int
    items: int
    succeeded: int
    failed: int
    unprocessed: int
    duration_ms: float
    stopped_for_deadline: bool


class WorkerStatus(_Strict):
    """What the worker returns: tiny, whatever the batch size."""

    batch_id: str
    succeeded: int
    failed: int
    unprocessed: int


class PrepareSummary(_Strict):
    run_id: str
    bucket: str
    task: str
    manifest_key: str
    item_count: int
    batch_count: int
    max_concurrency: int
    duplicate: bool = False


class AggregateEvent(BaseModel):
    model_config = ConfigDict(extra="ignore")
    run_id: str = Field(pattern=limits.RUN_ID_PATTERN)
    bucket: str

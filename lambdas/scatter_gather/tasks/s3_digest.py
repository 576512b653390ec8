"""``s3-digest``: audit S3 objects - size, SHA-256, content type and line count per object;
the report lists totals, the largest objects and groups of identical content."""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import Field

from .. import store
from .base import Task, TaskContext, TaskParams


class TransientS3Error(Exception):
    """S3 asked us to slow down or failed on its side; worth another attempt."""


class ObjectMissing(Exception):
    """The object was listed but is gone now (deleted mid-run) or never existed."""


class S3DigestParams(TaskParams):
    chunk_size: int = Field(default=1024 * 1024, ge=4096, le=64 * 1024 * 1024)
    count_lines: bool = True
    top: int = Field(default=10, ge=1, le=1000, description="largest objects to list")


_TRANSIENT = {"SlowDown", "ServiceUnavailable", "InternalError", "RequestTimeout", "500", "503"}


def _location(item: Any, ctx: TaskContext) -> tuple[str, str]:
    if isinstance(item, str):
        return ctx.bucket, item
    return item.get("bucket") or ctx.bucket, item["key"]


def check_item(item: Any) -> None:
    if isinstance(item, str) and item:
        return
    if isinstance(item, dict) and isinstance(item.get("key"), str) and item["key"]:
        return
    raise ValueError('an s3-digest item is an object key, or {"key": ..., "bucket": ...}')


def digest(item: Any, params: S3DigestParams, ctx: TaskContext) -> dict[str, Any]:
    bucket, key = _location(item, ctx)
    try:
        response = ctx.s3.get_object(Bucket=bucket, Key=key)
        sha = hashlib.sha256()
        size = lines = 0
        last = b""
        for chunk in response["Body"].iter_chunks(params.chunk_size):
            sha.update(chunk)
            size += len(chunk)
            if params.count_lines:
                lines += chunk.count(b"\n")
            last = chunk[-1:] or last
    except ClientError as exc:
        code = store.error_code(exc)
        if store.is_missing(exc):
            raise ObjectMissing(f"s3://{bucket}/{key} does not exist") from exc
        if code in _TRANSIENT:
            raise TransientS3Error(f"{code} reading s3://{bucket}/{key}") from exc
        raise
    except BotoCoreError as exc:  # connection resets, read timeouts
        raise TransientS3Error(f"{type(exc).__name__} reading s3://{bucket}/{key}") from exc
    if params.count_lines and size and last != b"\n":
        lines += 1  # a last line without a newline is still a line
    return {
        "bucket": bucket,
        "key": key,
        "size": size,
        "sha256": sha.hexdigest(),
        "content_type": response.get("ContentType"),
        "lines": lines if params.count_lines else None,
    }


def summarize(outcomes: Iterable[tuple[Any, Any]], top: int = 10) -> dict[str, Any]:
    results = [result for _item, result in outcomes]
    by_digest: dict[str, list[str]] = defaultdict(list)
    for r in results:
        by_digest[r["sha256"]].append(f"s3://{r['bucket']}/{r['key']}")
    duplicates = [
        {
            "sha256": sha,
            "size": next(r["size"] for r in results if r["sha256"] == sha),
            "objects": sorted(keys),
        }
        for sha, keys in by_digest.items()
        if len(keys) > 1
    ]
    duplicates.sort(key=lambda g: (-g["size"] * (len(g["objects"]) - 1), g["sha256"]))
    largest = sorted(results, key=lambda r: (-r["size"], r["key"]))[:top]
    return {
        "objects": len(results),
        "total_bytes": sum(r["size"] for r in results),
        "total_lines": sum(r["lines"] or 0 for r in results),
        "content_types": dict(
            Counter(r["content_type"] or "unknown" for r in results).most_common()
        ),
        "largest": [
            {"object": f"s3://{r['bucket']}/{r['key']}", "size": r["size"]} for r in largest
        ],
        "duplicate_groups": duplicates[:top],
        "duplicate_group_count": len(duplicates),
        "duplicate_bytes": sum(g["size"] * (len(g["objects"]) - 1) for g in duplicates),
    }


S3_DIGEST: Task[S3DigestParams] = Task(
    name="s3-digest",
    description="Size, SHA-256, content type and line count of S3 objects; finds duplicates.",
    params_model=S3DigestParams,
    run=digest,
    retryable=(TransientS3Error,),
    check_item=check_item,
    summarize=summarize,
)

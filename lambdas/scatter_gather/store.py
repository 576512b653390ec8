"""Small S3 helpers: the only place that knows botocore's error shapes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from botocore.exceptions import ClientError

_MISSING_CODES = {"NoSuchKey", "404", "NotFound"}
_NO_BUCKET_CODES = {"NoSuchBucket"}


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def is_missing(exc: ClientError) -> bool:
    return error_code(exc) in _MISSING_CODES


def is_missing_bucket(exc: ClientError) -> bool:
    return error_code(exc) in _NO_BUCKET_CODES


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, sort_keys=True)


def put_json(s3: Any, bucket: str, key: str, value: Any, *, only_if_new: bool = False) -> bool:
    """Writes ``value`` as JSON. With ``only_if_new`` the write is conditional
    (``If-None-Match: *``) and returns False when the key already exists."""
    extra = {"IfNoneMatch": "*"} if only_if_new else {}
    try:
        s3.put_object(
            Bucket=bucket,
            Key=key,
            Body=dumps(value).encode(),
            ContentType="application/json",
            **extra,
        )
    except ClientError as exc:
        if only_if_new and error_code(exc) in {
            "PreconditionFailed",
            "412",
            "ConditionalRequestConflict",
        }:
            return False
        raise
    return True


def get_bytes(s3: Any, bucket: str, key: str, byte_range: tuple[int, int] | None = None) -> bytes:
    extra = {"Range": f"bytes={byte_range[0]}-{byte_range[1]}"} if byte_range else {}
    return bytes(s3.get_object(Bucket=bucket, Key=key, **extra)["Body"].read())


def get_json(s3: Any, bucket: str, key: str) -> Any:
    return json.loads(get_bytes(s3, bucket, key))


def get_json_or_none(s3: Any, bucket: str, key: str) -> Any:
    try:
        return get_json(s3, bucket, key)
    except ClientError as exc:
        if is_missing(exc):
            return None
        raise


def list_objects(s3: Any, bucket: str, prefix: str) -> Iterator[dict[str, Any]]:
    """Every object under ``prefix``, following continuation tokens."""
    paginator = s3.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
        yield from page.get("Contents", [])


def jsonl(records: list[Any]) -> bytes:
    return "".join(dumps(r) + "\n" for r in records).encode()

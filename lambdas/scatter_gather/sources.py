"""Enumerating the items of a run from its source."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from typing import Any

from botocore.exceptions import ClientError

from . import limits, store
from .errors import InvalidInput
from .models import InlineSource, ManifestSource, S3PrefixSource, Source, WorkItem


def enumerate_items(source: Source, s3: Any, default_bucket: str) -> list[WorkItem]:
    """All items of ``source`` with their index and size hint. Raises InvalidInput for an
    empty or oversized source, a missing bucket or object, or a malformed manifest."""
    if isinstance(source, InlineSource):
        raw: Iterable[tuple[Any, int | None]] = ((item, _size_hint(item)) for item in source.items)
        where = "source.items"
    elif isinstance(source, S3PrefixSource):
        raw = _from_prefix(source, s3, source.bucket or default_bucket)
        where = f"s3://{source.bucket or default_bucket}/{source.prefix}"
    else:
        raw = _from_manifest(source, s3, source.bucket or default_bucket)
        where = f"s3://{source.bucket or default_bucket}/{source.key}"

    items: list[WorkItem] = []
    for index, (item, size) in enumerate(raw):
        if index >= limits.MAX_ITEMS:
            raise InvalidInput(
                f"{where} has more than {limits.MAX_ITEMS:,} items; split the job into several runs"
            )
        _check_item(item, index)
        items.append(WorkItem(index=index, item=item, size=size))
    if not items:
        raise InvalidInput(f"{where} has no items; point the source at at least one item")
    return items


def _check_item(item: Any, index: int) -> None:
    if item is None:
        raise InvalidInput(f"item {index} is null; every item must be a JSON value other than null")
    encoded = store.dumps(item).encode()
    if len(encoded) > limits.MAX_ITEM_BYTES:
        raise InvalidInput(
            f"item {index} is {len(encoded):,} bytes, over the {limits.MAX_ITEM_BYTES:,}-byte limit; "
            "an item should reference its data (e.g. an S3 key), not contain it"
        )


def _size_hint(item: Any) -> int | None:
    if isinstance(item, dict):
        size = item.get("size")
        if isinstance(size, int) and not isinstance(size, bool) and size >= 0:
            return size
    return None


def _from_prefix(source: S3PrefixSource, s3: Any, bucket: str) -> Iterable[tuple[Any, int | None]]:
    try:
        for obj in store.list_objects(s3, bucket, source.prefix):
            key = obj["Key"]
            if key.endswith("/") or (source.suffix and not key.endswith(source.suffix)):
                continue
            size = int(obj.get("Size", 0))
            yield {"bucket": bucket, "key": key, "size": size}, size
    except ClientError as exc:
        raise InvalidInput(_s3_problem(exc, bucket, source.prefix, "list")) from exc


def _from_manifest(
    source: ManifestSource, s3: Any, bucket: str
) -> Iterable[tuple[Any, int | None]]:
    try:
        fmt = source.resolved_format
    except ValueError as exc:
        raise InvalidInput(str(exc)) from exc
    try:
        head = s3.head_object(Bucket=bucket, Key=source.key)
        if int(head.get("ContentLength", 0)) > limits.MAX_MANIFEST_BYTES:
            raise InvalidInput(
                f"manifest s3://{bucket}/{source.key} is larger than "
                f"{limits.MAX_MANIFEST_BYTES // 2**20} MiB; split it into several runs"
            )
        body = store.get_bytes(s3, bucket, source.key)
    except ClientError as exc:
        raise InvalidInput(_s3_problem(exc, bucket, source.key, "read")) from exc
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            f"manifest s3://{bucket}/{source.key} is not UTF-8 text (byte {exc.start}); "
            "save it as UTF-8"
        ) from exc
    where = f"manifest s3://{bucket}/{source.key}"
    if fmt == "json":
        return _parse_json_array(text, where)
    if fmt == "jsonl":
        return _parse_json_lines(text, where)
    return _parse_csv(text, where)


def _parse_json_array(text: str, where: str) -> list[tuple[Any, int | None]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"{where} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from exc
    if not isinstance(data, list):
        raise InvalidInput(
            f"{where} must be a JSON array of items, found a {type(data).__name__}; "
            "use format jsonl for one item per line"
        )
    return [(item, _size_hint(item)) for item in data]


def _parse_json_lines(text: str, where: str) -> list[tuple[Any, int | None]]:
    items = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InvalidInput(
                f"{where} line {number} is not valid JSON ({exc.msg} at column {exc.colno}); "
                "every non-blank line must be one JSON value"
            ) from exc
        items.append((item, _size_hint(item)))
    return items


def _parse_csv(text: str, where: str) -> list[tuple[Any, int | None]]:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise InvalidInput(f"{where} is not valid CSV (line {reader.line_num}: {exc})") from exc
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if not rows:
        return []
    header = [name.strip() for name in rows[0]]
    if len(set(header)) != len(header) or any(not name for name in header):
        raise InvalidInput(f"{where} needs a header row of distinct, non-empty column names")
    items = []
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise InvalidInput(
                f"{where} row {number} has {len(row)} fields, the header has {len(header)}"
            )
        item: dict[str, Any] = dict(zip(header, row, strict=True))
        size = None
        if "size" in item:
            try:
                size = int(item["size"])
            except ValueError as exc:
                raise InvalidInput(
                    f"{where} row {number}: size {item['size']!r} is not a whole number of bytes"
                ) from exc
            item["size"] = size
        items.append((item, size))
    return items


def _s3_problem(exc: ClientError, bucket: str, key: str, verb: str) -> str:
    code = store.error_code(exc)
    if store.is_missing_bucket(exc):
        return f"bucket {bucket!r} does not exist; check source.bucket"
    if store.is_missing(exc):
        return f"s3://{bucket}/{key} does not exist; check source.key and source.bucket"
    if code in {"AccessDenied", "403"}:
        return f"cannot {verb} s3://{bucket}/{key}: access denied; grant the function access"
    return f"cannot {verb} s3://{bucket}/{key}: {code} {exc}"

"""Prepare: validate the input, enumerate items, balance batches, claim the run, write the
items and the batch manifest. Every check happens before the first write, so a rejected
run leaves nothing behind."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from . import limits, store
from .batching import layout_items, plan_batches
from .errors import InvalidInput
from .layout import RunLayout
from .models import PrepareSummary, RunInput, RunRecord
from .sources import enumerate_items
from .tasks import get_task


def parse_input(raw: Any) -> RunInput:
    """The execution input as a RunInput, or InvalidInput naming every problem."""
    if isinstance(raw, str):
        raise InvalidInput(
            "the execution input must be a JSON object, got a string; "
            "pass the object itself, not JSON encoded twice"
        )
    if not isinstance(raw, dict):
        raise InvalidInput(f"the execution input must be a JSON object, got {_json_type(raw)}")
    try:
        return RunInput.model_validate(raw)
    except ValidationError as exc:
        raise InvalidInput(describe_validation_error(exc, "input")) from None


def _json_type(value: Any) -> str:
    names = {
        type(None): "null",
        bool: "a boolean",
        int: "a number",
        float: "a number",
        list: "an array",
    }
    return names.get(type(value), type(value).__name__)


def describe_validation_error(exc: ValidationError, root: str) -> str:
    problems = []
    for error in exc.errors()[:8]:
        # Drop the discriminator tag pydantic puts in the path (source.inline.items).
        parts = [str(p) for p in error["loc"] if p not in ("inline", "s3_prefix", "manifest")]
        where = ".".join(parts) or root
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown field (check its spelling against the README)"
        problems.append(f"{root}.{where}: {message}" if where != root else f"{root}: {message}")
    more = f" (and {exc.error_count() - 8} more)" if exc.error_count() > 8 else ""
    return "invalid input: " + "; ".join(problems) + more


def prepare_run(raw_input: Any, execution_name: str, s3: Any, bucket: str) -> PrepareSummary:
    run = parse_input(raw_input)
    task = get_task(run.task)
    try:
        task.parse_params(run.params)
    except ValidationError as exc:
        raise InvalidInput(describe_validation_error(exc, "params")) from None
    run_id = run.run_id or execution_name
    layout = RunLayout(run_id)

    items = enumerate_items(run.source, s3, bucket)
    for work in items:
        try:
            task.check_item(work.item)
        except ValueError as exc:
            raise InvalidInput(
                f"item {work.index} cannot be processed by {task.name}: {exc}"
            ) from None
    batches = plan_batches(items, run.options.batch_size)
    if len(batches) > limits.MAX_BATCHES:
        raise InvalidInput(
            f"{len(items):,} items at batch_size {run.options.batch_size} make {len(batches):,} "
            f"batches, over the {limits.MAX_BATCHES:,} limit; raise options.batch_size"
        )
    items_body, refs = layout_items(batches)

    record = RunRecord(
        run_id=run_id,
        execution_name=execution_name,
        task=task.name,
        params=run.params,
        options=run.options,
        item_count=len(items),
        batch_count=len(refs),
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    summary = PrepareSummary(
        run_id=run_id,
        bucket=bucket,
        task=task.name,
        manifest_key=layout.batches,
        item_count=len(items),
        batch_count=len(refs),
        max_concurrency=run.options.max_concurrency,
    )
    if not store.put_json(
        s3, bucket, layout.claim, record.model_dump(mode="json"), only_if_new=True
    ):
        owner = store.get_json_or_none(s3, bucket, layout.claim) or {}
        if owner.get("execution_name") != execution_name:
            return summary.model_copy(update={"duplicate": True})
        # Our own claim: this is Step Functions retrying prepare; finish the writes.
    s3.put_object(
        Bucket=bucket, Key=layout.items, Body=items_body, ContentType="application/x-ndjson"
    )
    store.put_json(s3, bucket, layout.batches, [ref.model_dump() for ref in refs])
    return summary

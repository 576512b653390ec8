"""Limits enforced on every run, in one place so error messages and docs agree."""

MAX_ITEMS = 1_000_000
"""Items per run. The manifest of a run this size is a few tens of MiB in S3."""

MIN_BATCH_SIZE = 1
MAX_BATCH_SIZE = 10_000
DEFAULT_BATCH_SIZE = 50

MAX_BATCHES = 100_000
"""Batches per run: each is one child workflow of the Distributed Map."""

MAX_ITEM_BYTES = 8 * 1024
"""An item is a reference to work (an S3 key, a small dict), not the work's data."""

MAX_INLINE_INPUT_ITEMS = 1_000
"""Inline items travel in the execution input, which AWS caps at 256 KiB; bigger lists
belong in a manifest object."""

MAX_CONCURRENCY = 1_000
DEFAULT_CONCURRENCY = 10

MAX_ITEM_CONCURRENCY = 64
DEFAULT_ITEM_CONCURRENCY = 8

MAX_MANIFEST_BYTES = 256 * 1024 * 1024

RUN_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,79}$"
"""Run ids become S3 key segments: no slashes, no dot-dot, no spaces. Colons are allowed
so a schedule's tick time (2026-11-23T06:00:00Z) can be one."""

MAX_RESULT_BYTES = 64 * 1024
"""One item's result, serialized. Larger results are replaced by an error."""

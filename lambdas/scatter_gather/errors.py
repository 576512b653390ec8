"""Named errors. The class name is what Lambda reports as ``errorType`` and therefore what
the state machine's ``Retry``/``Catch`` and the CLI see, so names are part of the contract."""

from __future__ import annotations


class ScatterGatherError(Exception):
    """Base class: every error raised on purpose by this project."""


class InvalidInput(ScatterGatherError):
    """The execution input (or the source it names) cannot be used. Nothing was written."""


class RunAlreadyExists(ScatterGatherError):
    """Another execution already claimed this run id (e.g. a second delivery of one tick)."""


class RetryableBatchError(ScatterGatherError):
    """Some items failed with an error their task marks retryable; the state machine retries
    the batch with backoff. Items that already succeeded are kept and not run again."""


class FailureThresholdExceeded(ScatterGatherError):
    """More items failed than the input's ``max_failure_percent`` allows. The report is written."""

"""One Logger, Tracer and Metrics for every handler (service name from POWERTOOLS_SERVICE_NAME)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from botocore.config import Config

logger = Logger()
tracer = Tracer()
metrics = Metrics(namespace="ScatterGather")


def bind_run(run_id: str, execution_name: str | None = None) -> None:
    """Adds the run to every log line; the execution name is the correlation id."""
    logger.append_keys(run_id=run_id)
    if execution_name:
        logger.append_keys(execution_name=execution_name)
        logger.set_correlation_id(execution_name)


@lru_cache(maxsize=1)
def s3_client() -> Any:
    """Made on first use, not at import: keeps cold starts short. Pool sized for the
    worker's and aggregate's thread pools."""
    return boto3.client(
        "s3",
        config=Config(max_pool_connections=64, retries={"mode": "standard", "max_attempts": 5}),
    )

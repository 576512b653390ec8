"""Baseline only (see ``scatter_gather.orchestrator``): deployed by the local engine for the
benchmark, never by the CDK stack."""

import os
from typing import Any

import boto3
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.config import Config

from ..observability import logger, s3_client
from ..orchestrator import orchestrate
from ..settings import environment

ENV = environment()
WORKER = os.environ["WORKER_FUNCTION_NAME"]


@logger.inject_lambda_context(log_event=False)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    lambda_client = boto3.client(
        "lambda",
        config=Config(read_timeout=900, max_pool_connections=256, retries={"mode": "standard"}),
    )
    return orchestrate(
        event["input"], event["execution_name"], s3_client(), lambda_client, ENV.RUN_BUCKET, WORKER
    )

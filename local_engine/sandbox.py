"""Code that runs inside one execution environment (a process forked from a template that
has the heavy libraries imported already). It imports the handler once (the INIT phase),
then serves one invocation at a time over its pipe, like the Lambda runtime interface."""

from __future__ import annotations

import importlib
import os
import resource
import sys
import time
import traceback
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

# Imported in the template process so that environments start warm on libraries.
PRELOAD = [
    "json",
    "boto3",
    "botocore.session",
    "botocore.client",
    "pydantic",
    "aws_lambda_powertools",
    "aws_lambda_powertools.logging",
    "aws_lambda_powertools.metrics",
    "aws_lambda_powertools.tracing",
    "aws_lambda_powertools.utilities.parser",
    "aws_lambda_powertools.utilities.typing",
]


@dataclass(frozen=True)
class EnvironmentSpec:
    function_name: str
    function_arn: str
    handler: str
    code_dir: str
    memory_mb: int
    timeout_seconds: int
    environment: dict[str, str]
    log_path: str


class LambdaContext:
    """The subset of Lambda's context object that handlers and Powertools use."""

    def __init__(self, spec: EnvironmentSpec, request_id: str, deadline: float) -> None:
        self.function_name = spec.function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = spec.function_arn
        self.memory_limit_in_mb = spec.memory_mb
        self.aws_request_id = request_id
        self.log_group_name = f"/aws/lambda/{spec.function_name}"
        self.log_stream_name = f"local/{os.getpid()}"
        self._deadline = deadline

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.time()) * 1000))


def _error_payload(exc: BaseException) -> dict[str, Any]:
    return {
        "errorType": type(exc).__name__,
        "errorMessage": str(exc),
        "stackTrace": traceback.format_tb(exc.__traceback__),
    }


def serve(conn: Connection, spec: EnvironmentSpec) -> None:
    """Entry point of an environment process."""
    os.setpgrp()  # its own process group: a timeout kills the task's child processes too
    log = os.open(spec.log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.environ.update(spec.environment)
    os.chdir(spec.code_dir)
    sys.path.insert(0, spec.code_dir)

    module_name, _, function_name = spec.handler.rpartition(".")
    started = time.perf_counter()
    try:
        handler = getattr(importlib.import_module(module_name), function_name)
        init_error = None
    except BaseException as exc:
        traceback.print_exc()
        handler, init_error = None, _error_payload(exc)
        init_error["errorType"] = "Runtime.ImportModuleError"
    init_ms = (time.perf_counter() - started) * 1000
    sys.stdout.flush()
    conn.send(("ready", init_ms))

    while True:
        try:
            message = conn.recv()
        except EOFError:
            return
        if message is None:
            return
        request_id, event, deadline = message
        print(f"START RequestId: {request_id} Version: $LATEST", flush=True)
        if init_error is not None:
            outcome: tuple[str, Any] = ("error", init_error)
        else:
            try:
                result = handler(event, LambdaContext(spec, request_id, deadline))
                outcome = ("ok", result)
            except Exception as exc:
                traceback.print_exc()
                outcome = ("error", _error_payload(exc))
        sys.stdout.flush()
        sys.stderr.flush()
        max_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        try:
            conn.send((*outcome, max_rss_mb))
        except (TypeError, ValueError) as exc:  # a result that is not JSON/pickle-able
            conn.send(("error", _error_payload(exc), max_rss_mb))

"""The few, small changes the local engine makes to moto 5.2.5, each measured or required:

- ``execute_state_machine``: run definitions with moto's real ASL interpreter.
- Lambda invoke runs the function in our runtime instead of Docker.
- Retry waits scaled by a factor (tests and demos only; 1.0 for ``run``).
- A cached boto3 client per (service, region) and a cached JSONPath parser: moto builds both
  on every call, ~20 ms per Map iteration (see DESIGN.md).
- moto's server lists its own package directory (~150 ``isdir`` calls) on every request,
  under a lock that serializes all requests; the list never changes, so it is cached.
Every patch is applied by ``apply`` and checked by tests/unit/test_patches.py, so a moto
upgrade that moves these names fails loudly."""

from __future__ import annotations

import contextlib
import functools
import json
import re
import threading
import time
import uuid
from collections import Counter
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config

if TYPE_CHECKING:
    from .runtime import LambdaRuntime

_state: dict[str, Any] = {"retry_scale": 1.0, "runtime": None, "endpoint": None, "applied": False}
_requests: Counter[str] = Counter()
_lock = threading.Lock()


class _ScaledSleep:
    """Stands in for the ``time`` module inside moto's retrier: only ``sleep`` is scaled."""

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)

    @staticmethod
    def sleep(seconds: float) -> None:
        time.sleep(seconds * _state["retry_scale"])


def set_retry_scale(scale: float) -> None:
    if not 0 <= scale <= 1:
        raise ValueError("retry scale must be between 0 and 1")
    _state["retry_scale"] = scale


@functools.lru_cache(maxsize=64)
def _cached_client(service: str, region: str, endpoint: str) -> Any:
    return boto3.session.Session().client(
        service,
        region_name=region,
        endpoint_url=endpoint,
        aws_access_key_id="ak",
        aws_secret_access_key="sk",
        config=Config(
            parameter_validation=False,
            retries={"max_attempts": 0, "total_max_attempts": 1},
            connect_timeout=60,
            read_timeout=1000,  # a worker may run for its whole 900 s timeout
            max_pool_connections=256,
        ),
    )


def _boto_client_for(region: str, service: str, state_credentials: Any = None) -> Any:
    return _cached_client(service, region, _state["endpoint"])


def _lambda_invoke(self: Any, body: str, request_headers: Any, response_headers: Any) -> bytes:
    """Replaces ``moto.awslambda.models.LambdaFunction.invoke``."""
    from moto.awslambda.exceptions import LambdaClientError

    from .runtime import FunctionConfig, TooManyRequests

    runtime: LambdaRuntime = _state["runtime"]
    config = FunctionConfig(
        name=self.function_name,
        arn=self.function_arn,
        handler=self.handler,
        code_sha256=self.code_sha_256,
        code_zip=self.code_bytes,
        memory_mb=int(self.memory_size),
        timeout_seconds=int(self.timeout),
        environment=dict(self.environment_vars or {}),
        reserved_concurrency=(
            int(self.reserved_concurrency) if self.reserved_concurrency is not None else None
        ),
    )
    event = json.loads(body) if body else {}
    # boto3 inside an environment sends exec-env/AWS_Lambda_... in its User-Agent: that is a
    # Lambda waiting on another Lambda, which the benchmark counts.
    by_lambda = "exec-env/AWS_Lambda" in str(request_headers.get("User-Agent", ""))
    try:
        invocation = runtime.invoke(config, event, invoked_by_lambda=by_lambda)
    except TooManyRequests as exc:
        error = LambdaClientError("TooManyRequestsException", str(exc))
        error.code = 429
        raise error from None
    if invocation.function_error:
        response_headers["x-amz-function-error"] = "Unhandled"
    with contextlib.suppress(Exception):  # logs are a convenience; never fail an invocation
        self.save_logs(invocation.logs)
    return invocation.payload


def _name_executions(start_execution: Any) -> Any:
    """AWS names an execution with a UUID when the caller gives no name; moto 5.2.5 leaves it
    None (so ``$$.Execution.Name`` is null and the ARN ends in 'None')."""

    @functools.wraps(start_execution)
    def start(
        self: Any, state_machine_arn: str, name: Any = None, *args: Any, **kwargs: Any
    ) -> Any:
        return start_execution(self, state_machine_arn, name or str(uuid.uuid4()), *args, **kwargs)

    return start


_SERVICE_IN_AUTH = re.compile(r"Credential=[^/]+/[^/]+/[^/]+/([^/]+)/")


def _count_requests(call: Any) -> Any:
    """Counts requests by service and S3 pricing tier, for the cost model."""

    @functools.wraps(call)
    def counted(self: Any, environ: dict[str, Any], start_response: Any) -> Any:
        match = _SERVICE_IN_AUTH.search(environ.get("HTTP_AUTHORIZATION", ""))
        service = match.group(1) if match else "unsigned"
        if service == "s3":
            method = environ.get("REQUEST_METHOD", "GET")
            is_list = method == "GET" and "list-type" in environ.get("QUERY_STRING", "")
            tier = (
                "s3:put-copy-post-list"
                if method in ("PUT", "POST") or is_list
                else "s3:get-head-other"
            )
            _requests[tier] += 1
        else:
            _requests[service] += 1
        return call(self, environ, start_response)

    return counted


def request_counts() -> dict[str, int]:
    return dict(_requests)


def apply(runtime: LambdaRuntime, endpoint: str, retry_scale: float) -> None:
    """Wires moto to ``runtime`` and ``endpoint``. Idempotent; later calls rebind."""
    from jsonpath_ng.ext import parse as jsonpath_parse
    from moto import backends
    from moto.awslambda import models as lambda_models
    from moto.core.config import default_user_config
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication
    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.item_reader.eval import (
        resource_eval_s3 as item_reader_s3,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.result_writer.resource_eval import (
        resource_eval_s3 as result_writer_s3,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_aws_sdk,
        state_task_service_unsupported,
    )
    from moto.stepfunctions.parser.asl.utils import json_path
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    with _lock:
        _state.update(runtime=runtime, endpoint=endpoint)
        set_retry_scale(retry_scale)
        if _state["applied"]:
            return
        default_user_config.setdefault("stepfunctions", {})["execute_state_machine"] = True
        lambda_models.LambdaFunction.invoke = _lambda_invoke  # type: ignore[method-assign]
        retrier_decl.time = _ScaledSleep()  # type: ignore[assignment]
        for module in (
            lambda_eval_utils,
            item_reader_s3,
            result_writer_s3,
            state_task_service_aws_sdk,
            state_task_service_unsupported,
        ):
            module.boto_client_for = _boto_client_for  # type: ignore[attr-defined]
        modules = tuple(backends.list_of_moto_modules())
        backends.list_of_moto_modules = lambda: modules  # type: ignore[assignment]
        json_path.parse = functools.lru_cache(maxsize=4096)(jsonpath_parse)  # type: ignore[attr-defined]
        DomainDispatcherApplication.__call__ = _count_requests(DomainDispatcherApplication.__call__)  # type: ignore[method-assign]
        StepFunctionsParserBackend.start_execution = _name_executions(  # type: ignore[method-assign]
            StepFunctionsParserBackend.start_execution
        )
        _state["applied"] = True


def is_applied() -> bool:
    return bool(_state["applied"])

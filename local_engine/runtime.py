"""A local Lambda runtime: per-function pools of execution environments, each a separate
process that runs one invocation at a time, reused warm, started cold when none is free,
killed at the function timeout (``Sandbox.Timedout``), isolated when it crashes, capped by a
concurrency limit that answers ``TooManyRequestsException``, and a REPORT record per
invocation with the figures Lambda bills by."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import math
import multiprocessing
import os
import signal
import tempfile
import threading
import time
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from multiprocessing import forkserver
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from .sandbox import PRELOAD, EnvironmentSpec, serve

INIT_TIMEOUT_SECONDS = 10.0  # Lambda's INIT phase limit for on-demand functions


class TooManyRequests(Exception):
    """The function is at its concurrency limit."""


@dataclass(frozen=True)
class FunctionConfig:
    name: str
    arn: str
    handler: str
    code_sha256: str
    code_zip: bytes
    memory_mb: int
    timeout_seconds: int
    environment: dict[str, str]
    reserved_concurrency: int | None


@dataclass(frozen=True)
class Report:
    """One invocation, as Lambda's REPORT log line describes it."""

    function: str
    request_id: str
    started_at: float
    ended_at: float
    duration_ms: float
    billed_duration_ms: int
    memory_mb: int
    max_memory_used_mb: int
    init_duration_ms: float | None
    status: str  # ok | error | timeout | crash | throttled
    error_type: str | None = None
    request_bytes: int = 0
    response_bytes: int = 0
    label: str | None = None  # the batch id of a worker invocation
    invoked_by_lambda: bool = False

    @property
    def billed_gb_seconds(self) -> float:
        return self.billed_duration_ms / 1000 * self.memory_mb / 1024

    def log_line(self) -> str:
        line = (
            f"REPORT RequestId: {self.request_id}\tDuration: {self.duration_ms:.2f} ms\t"
            f"Billed Duration: {self.billed_duration_ms} ms\tMemory Size: {self.memory_mb} MB\t"
            f"Max Memory Used: {self.max_memory_used_mb} MB"
        )
        if self.init_duration_ms is not None:
            line += f"\tInit Duration: {self.init_duration_ms:.2f} ms"
        return line


@dataclass
class Invocation:
    payload: bytes
    function_error: bool
    logs: str
    report: Report


class _Environment:
    def __init__(
        self,
        process: multiprocessing.process.BaseProcess,
        conn: Connection,
        log_path: str,
        init_ms: float,
    ) -> None:
        self.process = process
        self.conn = conn
        self.log_path = log_path
        self.log_offset = 0
        self.init_ms = init_ms
        self.cold = True

    def read_new_logs(self) -> str:
        with open(self.log_path, "rb") as handle:
            handle.seek(self.log_offset)
            data = handle.read()
        self.log_offset += len(data)
        return data.decode("utf-8", "replace")

    def kill(self) -> None:
        if self.process.pid is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, signal.SIGKILL)
        if self.process.is_alive():
            self.process.kill()
        self.process.join(timeout=5)
        self.conn.close()


class LambdaRuntime:
    def __init__(
        self,
        endpoint_url: str,
        region: str = "us-east-1",
        account_concurrency: int = 1000,
        work_dir: str | None = None,
        on_report: Callable[[Report, str], None] | None = None,
    ) -> None:
        self.endpoint_url = endpoint_url
        self.region = region
        self.account_concurrency = account_concurrency
        self.work_dir = Path(work_dir or tempfile.mkdtemp(prefix="scatter-gather-runtime-"))
        self.on_report = on_report
        self.reports: list[Report] = []
        self._lock = threading.Lock()
        self._idle: dict[tuple[str, str], list[_Environment]] = {}
        self._busy: dict[str, int] = {}
        self._all: list[_Environment] = []
        # Environments fork from a template process that has imported the heavy libraries
        # once: a cold start then costs the handler's own import, as on Lambda with a layer.
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(PRELOAD)

    def warm_up(self) -> None:
        """Starts the template process now, so the first cold start is not also its start."""
        forkserver.ensure_running()

    # -- pool ----------------------------------------------------------------------------

    def _code_dir(self, fn: FunctionConfig) -> str:
        target = self.work_dir / "code" / fn.code_sha256.replace("/", "_")
        if not target.exists():
            partial = target.with_suffix(f".{uuid.uuid4().hex}")
            with zipfile.ZipFile(io.BytesIO(fn.code_zip)) as archive:
                archive.extractall(partial)
            with contextlib.suppress(OSError):  # another thread extracted the same code first
                partial.rename(target)
        return str(target)

    def _start_environment(self, fn: FunctionConfig) -> _Environment:
        log_path = str(self.work_dir / "logs" / f"{fn.name}-{uuid.uuid4().hex[:12]}.log")
        os.makedirs(os.path.dirname(log_path), exist_ok=True)
        environment = {
            **fn.environment,
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_LAMBDA_FUNCTION_NAME": fn.name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(fn.memory_mb),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{fn.name}",
            "AWS_EXECUTION_ENV": "AWS_Lambda_python3.12",
            "LAMBDA_TASK_ROOT": self._code_dir(fn),
            "POWERTOOLS_TRACE_DISABLED": "true",  # no X-Ray daemon locally
        }
        spec = EnvironmentSpec(
            function_name=fn.name,
            function_arn=fn.arn,
            handler=fn.handler,
            code_dir=environment["LAMBDA_TASK_ROOT"],
            memory_mb=fn.memory_mb,
            timeout_seconds=fn.timeout_seconds,
            environment=environment,
            log_path=log_path,
        )
        parent, child = self._context.Pipe()
        process = self._context.Process(target=serve, args=(child, spec), daemon=False)
        started = time.perf_counter()
        process.start()
        child.close()
        if not parent.poll(INIT_TIMEOUT_SECONDS):
            process.kill()
            raise RuntimeError(
                f"{fn.name}: environment did not start within {INIT_TIMEOUT_SECONDS} s"
            )
        parent.recv()  # ("ready", handler import ms): the INIT we report includes the fork too
        init_ms = (time.perf_counter() - started) * 1000
        env = _Environment(process, parent, log_path, init_ms)
        with self._lock:
            self._all.append(env)
        return env

    def _acquire(self, fn: FunctionConfig) -> _Environment:
        key = (fn.arn, fn.code_sha256)
        limit = (
            fn.reserved_concurrency
            if fn.reserved_concurrency is not None
            else self.account_concurrency
        )
        with self._lock:
            busy = self._busy.get(fn.arn, 0)
            if busy >= limit or sum(self._busy.values()) >= self.account_concurrency:
                raise TooManyRequests(
                    f"Rate Exceeded. {fn.name} is at its concurrency limit of {limit}"
                )
            self._busy[fn.arn] = busy + 1
            idle = self._idle.get(key)
            if idle:
                return idle.pop()
        try:
            return self._start_environment(fn)
        except BaseException:
            with self._lock:
                self._busy[fn.arn] -= 1
            raise

    def _release(self, fn: FunctionConfig, env: _Environment | None) -> None:
        with self._lock:
            self._busy[fn.arn] -= 1
            if env is not None:
                self._idle.setdefault((fn.arn, fn.code_sha256), []).append(env)

    # -- invoke --------------------------------------------------------------------------

    def invoke(self, fn: FunctionConfig, event: Any, invoked_by_lambda: bool = False) -> Invocation:
        request_id = str(uuid.uuid4())
        batch = event.get("batch") if isinstance(event, dict) else None
        label = batch.get("batch_id") if isinstance(batch, dict) else None
        started_at = time.time()
        try:
            env = self._acquire(fn)
        except TooManyRequests:
            report = Report(
                fn.name,
                request_id,
                started_at,
                started_at,
                0.0,
                0,
                fn.memory_mb,
                0,
                None,
                "throttled",
                "TooManyRequestsException",
                label=label,
                invoked_by_lambda=invoked_by_lambda,
            )
            self._record(report, "")
            raise
        init_ms = env.init_ms if env.cold else None
        env.cold = False
        started = time.perf_counter()
        deadline = time.time() + fn.timeout_seconds
        env.conn.send((request_id, event, deadline))
        keep: _Environment | None = env
        max_rss = 0.0
        if env.conn.poll(fn.timeout_seconds):
            try:
                status, body, max_rss = env.conn.recv()
            except EOFError:
                status, body = "crash", None
        else:
            status, body = "timeout", None
        duration_ms = (time.perf_counter() - started) * 1000
        if status in ("timeout", "crash"):
            if status == "crash":
                env.process.join(timeout=2)
            exit_code = env.process.exitcode
            env.kill()
            keep = None
            if status == "timeout":
                body = {
                    "errorType": "Sandbox.Timedout",
                    "errorMessage": f"RequestId: {request_id} Error: Task timed out after {fn.timeout_seconds:.2f} seconds",
                }
                duration_ms = fn.timeout_seconds * 1000.0
            else:
                body = {
                    "errorType": "Runtime.ExitError",
                    "errorMessage": f"RequestId: {request_id} Error: Runtime exited with error: exit status {exit_code}",
                }
        try:
            payload = json.dumps(body).encode()
        except (TypeError, ValueError) as exc:
            status, payload = (
                "error",
                json.dumps(
                    {"errorType": "Runtime.MarshalError", "errorMessage": str(exc)}
                ).encode(),
            )
        logs = env.read_new_logs()
        self._release(fn, keep)
        billed = math.ceil(duration_ms) + (math.ceil(init_ms) if init_ms is not None else 0)
        report = Report(
            function=fn.name,
            request_id=request_id,
            started_at=started_at,
            ended_at=time.time(),
            duration_ms=round(duration_ms, 2),
            billed_duration_ms=billed,
            memory_mb=fn.memory_mb,
            max_memory_used_mb=math.ceil(max_rss) if max_rss else 0,
            init_duration_ms=round(init_ms, 2) if init_ms is not None else None,
            status="ok" if status == "ok" else status,
            error_type=None if status == "ok" else json.loads(payload).get("errorType"),
            request_bytes=len(json.dumps(event)),
            response_bytes=len(payload),
            label=label,
            invoked_by_lambda=invoked_by_lambda,
        )
        logs += report.log_line() + "\n"
        self._record(report, logs)
        return Invocation(payload=payload, function_error=status != "ok", logs=logs, report=report)

    def _record(self, report: Report, logs: str) -> None:
        with self._lock:
            self.reports.append(report)
        if self.on_report:
            self.on_report(report, logs)

    def reports_as_dicts(self) -> list[dict[str, Any]]:
        with self._lock:
            return [{**asdict(r), "billed_gb_seconds": r.billed_gb_seconds} for r in self.reports]

    def drop_idle(self) -> None:
        """Stops every idle environment, so the next invocations start cold."""
        with self._lock:
            idle = [env for envs in self._idle.values() for env in envs]
            self._idle.clear()
        for env in idle:
            env.kill()

    def environment_count(self) -> int:
        with self._lock:
            return sum(1 for env in self._all if env.process.is_alive())

    def shutdown(self) -> None:
        with self._lock:
            envs, self._all = self._all, []
            self._idle.clear()
        for env in envs:
            with contextlib.suppress(OSError, BrokenPipeError):
                env.conn.send(None)
        for env in envs:
            env.process.join(timeout=2)
            env.kill()


def code_sha256(code_zip: bytes) -> str:
    return hashlib.sha256(code_zip).hexdigest()

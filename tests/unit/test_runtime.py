"""The local Lambda runtime on its own, with a tiny function."""

from __future__ import annotations

import io
import json
import threading
import time
import zipfile

import pytest

from local_engine.runtime import FunctionConfig, LambdaRuntime, TooManyRequests, code_sha256

HANDLER = """
import os, time

def echo(event, context):
    return {"event": event, "pid": os.getpid(), "env": os.environ.get("GREETING"),
            "endpoint": os.environ.get("AWS_ENDPOINT_URL"), "left": context.get_remaining_time_in_millis()}

def sleep(event, context):
    time.sleep(event["seconds"])
    return {"pid": os.getpid()}

def crash(event, context):
    os._exit(3)

def fail(event, context):
    raise ValueError("bad thing")

def unserializable(event, context):
    return {1, 2}
"""


def function(
    handler: str, timeout: int = 5, reserved: int | None = None, source: str = HANDLER
) -> FunctionConfig:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("fn.py", source)
    code = buffer.getvalue()
    return FunctionConfig(
        name=f"test-{handler}-{timeout}-{reserved}",
        arn=f"arn:aws:lambda:us-east-1:123456789012:function:test-{handler}-{timeout}-{reserved}",
        handler=f"fn.{handler}",
        code_sha256=code_sha256(code),
        code_zip=code,
        memory_mb=256,
        timeout_seconds=timeout,
        environment={"GREETING": "hello"},
        reserved_concurrency=reserved,
    )


@pytest.fixture(scope="module")
def runtime():
    rt = LambdaRuntime(endpoint_url="http://127.0.0.1:9")
    rt.warm_up()
    yield rt
    rt.shutdown()


def test_warm_reuse_after_a_cold_start(runtime):
    fn = function("echo")
    first = runtime.invoke(fn, {"n": 1})
    second = runtime.invoke(fn, {"n": 2})
    a, b = json.loads(first.payload), json.loads(second.payload)
    assert a["pid"] == b["pid"], "the second call reuses the warm environment"
    assert first.report.init_duration_ms is not None and second.report.init_duration_ms is None
    assert a["env"] == "hello" and a["endpoint"] == "http://127.0.0.1:9"
    assert 4000 < a["left"] <= 5000
    assert b["event"] == {"n": 2}
    assert "REPORT RequestId:" in second.logs and "Billed Duration:" in second.logs
    assert second.report.billed_duration_ms >= second.report.duration_ms


def test_concurrent_calls_get_separate_environments(runtime):
    fn = function("sleep")
    pids = []
    threads = [
        threading.Thread(
            target=lambda: pids.append(
                json.loads(runtime.invoke(fn, {"seconds": 0.3}).payload)["pid"]
            )
        )
        for _ in range(3)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(pids)) == 3


def test_timeout_kills_the_environment(runtime):
    fn = function("sleep", timeout=1)
    started = time.monotonic()
    result = runtime.invoke(fn, {"seconds": 30})
    assert time.monotonic() - started < 3
    assert result.function_error
    assert json.loads(result.payload)["errorType"] == "Sandbox.Timedout"
    assert result.report.status == "timeout" and result.report.duration_ms == 1000.0
    after = runtime.invoke(fn, {"seconds": 0})
    assert not after.function_error and after.report.init_duration_ms is not None, (
        "a fresh environment"
    )


def test_a_crash_is_isolated_to_its_environment(runtime):
    fn = function("crash")
    result = runtime.invoke(fn, {})
    payload = json.loads(result.payload)
    assert (
        payload["errorType"] == "Runtime.ExitError" and "exit status 3" in payload["errorMessage"]
    )
    assert not runtime.invoke(function("echo"), {}).function_error


def test_handler_errors_and_bad_results(runtime):
    payload = json.loads(runtime.invoke(function("fail"), {}).payload)
    assert (payload["errorType"], payload["errorMessage"]) == ("ValueError", "bad thing")
    assert payload["stackTrace"]
    assert (
        json.loads(runtime.invoke(function("unserializable"), {}).payload)["errorType"]
        == "Runtime.MarshalError"
    )
    broken = function("echo", source="import nonexistent_module_xyz\n")
    assert (
        json.loads(runtime.invoke(broken, {}).payload)["errorType"] == "Runtime.ImportModuleError"
    )


def test_concurrency_cap_answers_too_many_requests(runtime):
    fn = function("sleep", reserved=1)
    holder = threading.Thread(target=runtime.invoke, args=(fn, {"seconds": 0.5}))
    holder.start()
    time.sleep(0.2)
    with pytest.raises(TooManyRequests):
        runtime.invoke(fn, {"seconds": 0})
    holder.join()
    assert not runtime.invoke(fn, {"seconds": 0}).function_error
    assert any(r.status == "throttled" for r in runtime.reports)

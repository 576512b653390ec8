"""Cold start: how long each handler module takes to import in a fresh interpreter, against a
bare ``import boto3`` measured in the same run (interleaved, so machine noise hits all alike),
and how long the local runtime takes to start an environment from its template process."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
from pathlib import Path

from stacks.workflow_spec import FUNCTIONS, LAMBDA_CODE_DIR

BASELINE = "boto3"
_PROBE = (
    "import time; t = time.perf_counter(); import {module}; print((time.perf_counter() - t) * 1000)"
)


def _environment() -> dict[str, str]:
    return {
        **os.environ,
        "RUN_BUCKET": "cold-start-probe",
        "POWERTOOLS_SERVICE_NAME": "scatter-gather",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "WORKER_FUNCTION_NAME": "probe",
        "AWS_DEFAULT_REGION": "us-east-1",
        "PYTHONPATH": str(LAMBDA_CODE_DIR),
        "PYTHONDONTWRITEBYTECODE": "",
    }


def modules() -> dict[str, str]:
    found = {BASELINE: BASELINE}
    for key, spec in FUNCTIONS.items():
        found[key] = spec.handler.rsplit(".", 1)[0]
    return found


def import_times(rounds: int = 7) -> dict[str, list[float]]:
    """Milliseconds to import each module in a fresh interpreter, ``rounds`` times each."""
    env = _environment()
    times: dict[str, list[float]] = {name: [] for name in modules()}
    for _ in range(rounds):
        for name, module in modules().items():
            out = subprocess.run(
                [sys.executable, "-c", _PROBE.format(module=module)],
                capture_output=True,
                text=True,
                env=env,
                cwd=Path(LAMBDA_CODE_DIR),
                check=True,
            ).stdout
            times[name].append(float(out.strip().splitlines()[-1]))
    return times


def summarize(times: dict[str, list[float]]) -> list[tuple[str, float, float]]:
    """(name, median ms, ratio to the boto3 median)."""
    base = statistics.median(times[BASELINE])
    return [
        (name, statistics.median(values), statistics.median(values) / base)
        for name, values in times.items()
    ]

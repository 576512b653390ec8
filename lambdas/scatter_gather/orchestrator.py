"""The naive design, kept as a baseline for the benchmark: one Lambda plans the run, invokes
the worker for every batch synchronously through a thread pool, waits for all of them (billed
for every millisecond of the slowest), and aggregates in-process. No retries beyond the SDK's
own, no durability: if it times out, the run is gone. Do not deploy this to do real work."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from . import store
from .aggregate import aggregate_run, summarize_report
from .layout import RunLayout
from .models import BatchRef
from .prepare import prepare_run


def orchestrate(
    raw_input: Any, execution_name: str, s3: Any, lambda_client: Any, bucket: str, worker: str
) -> dict[str, Any]:
    started = time.perf_counter()
    summary = prepare_run(raw_input, execution_name, s3, bucket)
    refs = [
        BatchRef.model_validate(r)
        for r in store.get_json(s3, bucket, RunLayout(summary.run_id).batches)
    ]

    def invoke(ref: BatchRef) -> None:
        event = {
            "run_id": summary.run_id,
            "bucket": bucket,
            "batch": ref.model_dump(),
            "attempt": 0,
        }
        response = lambda_client.invoke(FunctionName=worker, Payload=json.dumps(event).encode())
        if response.get("FunctionError"):
            # Record it the way the state machine's Catch does, so the aggregate counts it.
            payload = response["Payload"].read().decode()
            error = json.loads(payload) if payload.startswith("{") else {"errorType": "Unknown"}
            store.put_json(
                s3,
                bucket,
                RunLayout(summary.run_id).failure(ref.batch_id),
                {
                    "batch": ref.model_dump(),
                    "error": {"Error": error.get("errorType", "Unknown"), "Cause": payload},
                },
            )

    fanout_started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=summary.max_concurrency) as pool:
        list(pool.map(invoke, refs))
    fanout_ms = (time.perf_counter() - fanout_started) * 1000
    report = aggregate_run(s3, bucket, summary.run_id)
    return {
        **summarize_report(report),
        "waited_on_workers_ms": round(fanout_ms, 1),
        "total_ms": round((time.perf_counter() - started) * 1000, 1),
    }

from __future__ import annotations

import hashlib

import pytest
from scatter_gather.errors import InvalidInput
from scatter_gather.tasks import TASKS, TaskContext, get_task
from scatter_gather.tasks.s3_digest import ObjectMissing, S3DigestParams, digest, summarize
from scatter_gather.tasks.simulate import (
    SimulatedPermanentError,
    SimulatedThrottle,
    SimulateParams,
    latency_ms,
    simulate,
)

from tests.conftest import BUCKET


def ctx(s3=None, attempt=0):
    return TaskContext(run_id="r", bucket=BUCKET, attempt=attempt, s3_factory=lambda: s3)


def test_registry_names_known_tasks():
    assert set(TASKS) == {"s3-digest", "simulate"}
    with pytest.raises(InvalidInput, match="unknown task 'nope'; known tasks: s3-digest, simulate"):
        get_task("nope")


def test_digest_streams_sha_lines_and_content_type(s3):
    body = b"a\nb\nc" * 100_000  # several chunks
    s3.put_object(Bucket=BUCKET, Key="f.txt", Body=body, ContentType="text/plain")
    result = digest("f.txt", S3DigestParams(chunk_size=4096), ctx(s3))
    assert result["sha256"] == hashlib.sha256(body).hexdigest()
    assert result["size"] == len(body)
    assert result["lines"] == body.count(b"\n") + 1
    assert result["content_type"] == "text/plain"


def test_digest_of_empty_and_missing_objects(s3):
    s3.put_object(Bucket=BUCKET, Key="empty", Body=b"")
    assert digest({"key": "empty"}, S3DigestParams(), ctx(s3))["lines"] == 0
    with pytest.raises(ObjectMissing):
        digest("gone", S3DigestParams(), ctx(s3))


def test_digest_items_are_checked():
    check = get_task("s3-digest").check_item
    check("k")
    check({"key": "k", "bucket": "b"})
    for bad in (5, "", {"bucket": "b"}, ["k"]):
        with pytest.raises(ValueError):
            check(bad)


def test_summary_finds_duplicates_and_largest():
    results = [
        {"bucket": "b", "key": k, "size": s, "sha256": h, "content_type": "text/plain", "lines": 1}
        for k, s, h in [("a", 10, "x"), ("b", 10, "x"), ("c", 99, "y"), ("d", 10, "x")]
    ]
    summary = summarize([(None, r) for r in results])
    assert summary["total_bytes"] == 129
    assert summary["largest"][0] == {"object": "s3://b/c", "size": 99}
    assert summary["duplicate_groups"] == [
        {"sha256": "x", "size": 10, "objects": ["s3://b/a", "s3://b/b", "s3://b/d"]}
    ]
    assert summary["duplicate_bytes"] == 20


def test_simulate_is_deterministic_and_heavy_tailed():
    params = SimulateParams(median_ms=10, p99_ratio=10, seed=3)
    draws = sorted(latency_ms(f"i{n}", params) for n in range(4000))
    assert draws == sorted(latency_ms(f"i{n}", params) for n in range(4000))
    median, p99 = draws[2000], draws[3960]
    assert 8 < median < 12
    assert 7 < p99 / median < 14


def test_simulate_faults_follow_rates_and_attempts():
    params = SimulateParams(
        distribution="fixed", median_ms=0, retryable_rate=0.3, permanent_rate=0.1
    )
    throttled = permanent = 0
    for n in range(1000):
        try:
            simulate(n, params, ctx(attempt=0))
        except SimulatedThrottle:
            throttled += 1
        except SimulatedPermanentError:
            permanent += 1
    assert 60 < permanent < 140
    assert 200 < throttled < 340
    # A later attempt sees no transient fault; permanent ones stay.
    for n in range(200):
        try:
            simulate(n, params, ctx(attempt=1))
        except SimulatedThrottle:
            pytest.fail("retryable faults only hit the first fault_attempts attempts")
        except SimulatedPermanentError:
            pass


def test_simulate_cpu_bound_switch():
    task = get_task("simulate")
    assert task.cpu_bound(SimulateParams(cpu_ms=5))
    assert not task.cpu_bound(SimulateParams())

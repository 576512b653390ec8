from __future__ import annotations

import os
from typing import Any

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION", "1")

FULL_SETTINGS: dict[str, Any] = {
    "schedule_expression": "cron(0 6 * * ? *)",
    "schedule_timezone": "Europe/Berlin",
    "alarm_email": "ops@example.com",
    "worker_timeout_seconds": 120,
    "source_buckets": ["incoming-data-bucket"],
}


def synth(settings: dict[str, Any] | None = None) -> Any:
    from aws_cdk.assertions import Template

    from app import build_app

    app, stack = build_app(settings)
    return app, stack, Template.from_stack(stack)


@pytest.fixture(scope="session")
def synthesized():
    """The stack with every optional part on: schedule, alarm e-mail, extra source bucket."""
    return synth(FULL_SETTINGS)


@pytest.fixture(scope="session")
def template(synthesized):
    return synthesized[2]


@pytest.fixture(scope="session")
def stack(synthesized):
    return synthesized[1]

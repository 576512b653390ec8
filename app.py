#!/usr/bin/env python3
"""CDK app entry: ``npx cdk synth`` / ``deploy``. Settings come from cdk.json context
(``scatter-gather``) and ``-c scatter-gather:<key>=<value>`` overrides."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from stacks.config import CONTEXT_KEY, ConfigError, load_config
from stacks.scatter_gather_stack import ScatterGatherStack

CDK_JSON = Path(__file__).resolve().parent / "cdk.json"


def build_app(settings: dict[str, Any] | None = None) -> tuple[cdk.App, ScatterGatherStack]:
    """The app with cdk.json's context (feature flags, defaults); ``settings`` are merged
    over its ``scatter-gather`` object (tests use this instead of ``-c``)."""
    context = json.loads(CDK_JSON.read_text())["context"]
    context[CONTEXT_KEY] = {**context.get(CONTEXT_KEY, {}), **(settings or {})}
    app = cdk.App(context=context)
    base = app.node.try_get_context(CONTEXT_KEY) or {}
    overrides = {
        key.removeprefix(f"{CONTEXT_KEY}:"): app.node.try_get_context(key)
        for key in _context_keys(app)
        if key.startswith(f"{CONTEXT_KEY}:")
    }
    config = load_config(base, overrides)
    stack = ScatterGatherStack(
        app,
        config.stack_name,
        config=config,
        description="Scatter-gather on AWS Step Functions: prepare, Distributed Map of workers, aggregate",
        env=cdk.Environment(
            account=os.environ.get("CDK_DEFAULT_ACCOUNT"),
            region=os.environ.get("CDK_DEFAULT_REGION"),
        ),
    )
    cdk.Aspects.of(app).add(AwsSolutionsChecks(verbose=True))
    return app, stack


def _context_keys(app: cdk.App) -> list[str]:
    # -c key=value pairs arrive in the CDK_CONTEXT_JSON environment variable.
    raw = os.environ.get("CDK_CONTEXT_JSON")
    return list(json.loads(raw)) if raw else []


if __name__ == "__main__":
    try:
        cdk_app, _ = build_app()
    except ConfigError as exc:
        print(f"ConfigError: {exc}", file=sys.stderr)
        sys.exit(2)
    cdk_app.synth()

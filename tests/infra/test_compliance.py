"""cdk-nag's AwsSolutions pack and cfn-lint on the synthesized template; and `cdk synth`
with the real CDK CLI, as the README says."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from aws_cdk.assertions import Annotations, Match

pytestmark = [pytest.mark.infra, pytest.mark.xdist_group("infra")]

ROOT = Path(__file__).resolve().parents[2]


def test_cdk_nag_has_no_unsuppressed_findings(stack):
    annotations = Annotations.from_stack(stack)
    findings = [
        *annotations.find_error("*", Match.string_like_regexp("AwsSolutions-.*")),
        *annotations.find_warning("*", Match.string_like_regexp("AwsSolutions-.*")),
    ]
    assert not findings, "\n".join(f"{f.id}: {f.entry.data}" for f in findings)


def test_every_suppression_gives_a_real_reason(template):
    reasons = []
    for resource in template.to_json()["Resources"].values():
        for rule in resource.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", []):
            reasons.append((rule["id"], rule["reason"]))
    assert reasons, "suppressions are recorded in the template metadata"
    for rule_id, reason in reasons:
        assert len(reason) >= 40, f"{rule_id}: reason too thin: {reason!r}"


def test_cfn_lint_finds_no_errors(template, tmp_path):
    path = tmp_path / "template.json"
    path.write_text(json.dumps(template.to_json()))
    # W3005 is CDK's explicit DependsOn next to a GetAtt: harmless and not ours to change.
    result = subprocess.run(
        [
            str(Path(os.sys.executable).parent / "cfn-lint"),
            "--format",
            "parseable",
            "--ignore-checks",
            "W3005",
            "--",
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    # Exit code is a bit mask: 2 errors, 4 warnings, 8 informational; 1 means it crashed.
    assert result.returncode != 1 and not result.returncode & 2, result.stdout + result.stderr


def test_cdk_synth_with_the_cli(tmp_path):
    cli = ROOT / "node_modules" / ".bin" / "cdk"
    assert cli.exists(), "make test installs the CDK CLI (npm ci) before running the tests"
    env = {**os.environ, "PATH": f"{Path(os.sys.executable).parent}:{os.environ['PATH']}"}
    result = subprocess.run(
        [str(cli), "synth", "--quiet", "-o", str(tmp_path / "cdk.out")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "cdk.out" / "ScatterGather.template.json").exists()

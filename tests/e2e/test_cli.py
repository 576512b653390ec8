"""The scatter-gather CLI as a user runs it: separate processes, exit codes, no tracebacks."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("cli")]

CLI = str(Path(sys.executable).parent / "scatter-gather")
ENV = {
    **os.environ,
    "COLUMNS": "200",
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def cli(*args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CLI, *args], capture_output=True, text=True, env=ENV, timeout=timeout)


def test_every_command_has_help():
    for command in ("run", "serve", "history", "start", "watch"):
        result = cli(command, "--help")
        assert result.returncode == 0 and "Usage:" in result.stdout, command


def test_run_default_input_end_to_end(tmp_path):
    result = cli("run", "--retry-scale", "0.01", "--out", str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Items succeeded" in result.stdout and "200" in result.stdout
    assert "Timeline" in result.stdout and "ProcessBatches" in result.stdout
    reports = list(tmp_path.glob("*/report.json"))
    assert len(reports) == 1
    assert json.loads(reports[0].read_text())["items"]["succeeded"] == 200
    assert (reports[0].parent / "results.jsonl").read_text().count("\n") == 200


def test_run_from_dir_audits_real_files(tmp_path):
    folder = tmp_path / "docs"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.md").write_text("# same\n")
    (folder / "sub" / "b.md").write_text("# same\n")
    (folder / "c.txt").write_text("one\ntwo\nthree")
    result = cli(
        "run",
        "--from-dir",
        str(folder),
        "--retry-scale",
        "0.01",
        "--out",
        str(tmp_path / "out"),
        "--no-timeline",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(next((tmp_path / "out").glob("*/report.json")).read_text())
    summary = report["task_summary"]
    assert summary["objects"] == 3 and summary["total_lines"] == 5
    assert summary["duplicate_group_count"] == 1


@pytest.mark.parametrize(
    ("args", "code", "fragment"),
    [
        (["--input", "{not json"], 2, "InvalidJSON"),
        (["--input", "missing-file.json"], 2, "InputNotFound"),
        (["--from-dir", "/no/such/folder"], 2, "FolderNotFound"),
        (
            [
                "--input",
                '{"task": "simulate", "source": {"type": "inline", "items": [1]}, "options": {"batch_size": 99999}}',
            ],
            2,
            "InvalidInput: invalid input: input.options.batch_size",
        ),
        (
            [
                "--input",
                '{"task": "simulate", "source": {"type": "inline", "items": [1, 2]}, "params": {"permanent_rate": 1}}',
            ],
            1,
            "FailureThresholdExceeded",
        ),
    ],
)
def test_user_mistakes_exit_non_zero_without_a_traceback(args, code, fragment, tmp_path):
    result = cli("run", "--retry-scale", "0.01", "--no-timeline", "--out", str(tmp_path), *args)
    output = result.stdout + result.stderr
    assert result.returncode == code, output
    assert fragment in output
    assert "Traceback" not in output


def test_serve_then_start_watch_and_history_against_it(tmp_path):
    port = 4700 + os.getpid() % 200
    server = subprocess.Popen(
        [CLI, "serve", "--port", str(port), "--retry-scale", "0.01"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=ENV,
    )
    try:
        lines = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = server.stdout.readline()
            lines.append(line)
            if "Ctrl-C to stop" in line:
                break
        banner = "".join(lines)
        assert "aws --endpoint-url" in banner and "start-execution" in banner, banner
        state_machine_arn = re.search(r"State machine: (\S+)", banner).group(1)
        endpoint = f"http://127.0.0.1:{port}"

        started = cli(
            "start",
            "--endpoint-url",
            endpoint,
            "--state-machine-arn",
            state_machine_arn,
            "--input",
            "samples/simulate.json",
            "--name",
            "from-cli",
        )
        assert started.returncode == 0, started.stdout + started.stderr
        assert "Items succeeded" in started.stdout
        execution_arn = re.search(r"Started (\S+)", started.stdout).group(1)

        watched = cli("watch", "--endpoint-url", endpoint, execution_arn)
        assert watched.returncode == 0 and "Items total" in watched.stdout
        timeline = cli("history", "--endpoint-url", endpoint, execution_arn)
        assert timeline.returncode == 0 and "Aggregate" in timeline.stdout
        missing = cli("history", "--endpoint-url", endpoint, execution_arn + "-nope")
        assert missing.returncode == 2 and "Traceback" not in missing.stdout + missing.stderr
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)

"""Execution inputs for the CLI: the built-in default, a file, inline JSON, or a local folder
uploaded into the local bucket for ``s3-digest``."""

from __future__ import annotations

import json
import mimetypes
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rich.progress import Progress

from stacks.workflow_spec import ROOT

UPLOAD_PREFIX = "uploads/"


class CliInputError(Exception):
    """A mistake in what the user gave the CLI; shown without a traceback."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}")
        self.name = name


def default_input() -> dict[str, Any]:
    """200 items of heavy-tailed simulated work with a few retryable faults: shows batching,
    fan-out, retries and the report in well under a minute."""
    return {
        "task": "simulate",
        "source": {"type": "inline", "items": [f"item-{n:04d}" for n in range(200)]},
        "params": {
            "distribution": "lognormal",
            "median_ms": 50,
            "p99_ratio": 10,
            "retryable_rate": 0.02,
            "seed": 7,
        },
        "options": {"batch_size": 10, "max_concurrency": 10, "item_concurrency": 4},
    }


def load_input(text_or_path: str | None) -> dict[str, Any]:
    """``@file``, a path to a JSON file, or inline JSON."""
    if text_or_path is None:
        return default_input()
    candidate = text_or_path.removeprefix("@").removeprefix("file://")
    if _is_file(candidate):
        text, where = Path(candidate).read_text(encoding="utf-8", errors="replace"), candidate
    else:
        text, where = text_or_path, "--input"
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        if where == "--input" and not text.lstrip().startswith(("{", "[", '"')):
            raise CliInputError(
                "InputNotFound", f"{candidate!r} is neither a file nor inline JSON"
            ) from None
        raise CliInputError(
            "InvalidJSON",
            f"{where} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
        ) from None
    return value  # type: ignore[no-any-return]


def _is_file(candidate: str) -> bool:
    try:
        return Path(candidate).is_file()
    except (OSError, ValueError):  # inline JSON longer than a path may be, or with NUL
        return False


def _files(folder: Path) -> Iterator[Path]:
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.is_symlink():
            yield path


def upload_folder(s3: Any, bucket: str, folder: str) -> tuple[str, int]:
    """Uploads every file under ``folder`` to ``uploads/<folder name>/``; returns the prefix
    and the number of files."""
    root = Path(folder).expanduser()
    if not root.is_dir():
        raise CliInputError("FolderNotFound", f"{folder!r} is not a folder")
    prefix = f"{UPLOAD_PREFIX}{root.resolve().name or 'root'}/"
    files = list(_files(root))
    if not files:
        raise CliInputError("EmptyFolder", f"{folder!r} has no files to audit")
    with Progress(transient=True) as progress:
        bar = progress.add_task(f"Uploading {root}", total=len(files))
        for path in files:
            content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            key = prefix + path.relative_to(root).as_posix()
            s3.upload_file(str(path), bucket, key, ExtraArgs={"ContentType": content_type})
            progress.advance(bar)
    return prefix, len(files)


def digest_input(prefix: str) -> dict[str, Any]:
    return {
        "task": "s3-digest",
        "source": {"type": "s3_prefix", "prefix": prefix},
        "options": {"batch_size": 25, "max_concurrency": 10, "item_concurrency": 8},
    }


SAMPLES_DIR = ROOT / "samples"

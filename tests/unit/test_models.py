from __future__ import annotations

import pytest
from pydantic import ValidationError
from scatter_gather.errors import InvalidInput
from scatter_gather.models import ItemOutcome, ManifestSource, RunInput
from scatter_gather.prepare import parse_input


def valid(**overrides):
    base = {"task": "simulate", "source": {"type": "inline", "items": [1, 2, 3]}}
    base.update(overrides)
    return base


def test_given_minimal_input_when_parsed_then_defaults_apply():
    run = parse_input(valid())
    assert run.options.batch_size == 50
    assert run.options.max_failure_percent == 0.0
    assert run.run_id is None


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        (valid(extra=1), "input.extra: unknown field"),
        (valid(options={"batch_size": 0}), "input.options.batch_size"),
        (valid(options={"batch_sise": 5}), "unknown field"),
        (valid(run_id="../etc"), "input.run_id"),
        (valid(run_id="a/b"), "input.run_id"),
        (valid(source={"type": "inline", "items": []}), "input.source.items"),
        (valid(source={"type": "ftp"}), "input.source"),
        (valid(source={"type": "s3_prefix", "prefix": "/abs"}), "must not start with '/'"),
        (valid(source={"type": "s3_prefix", "prefix": "a/../b"}), "'..'"),
        (valid(source={"type": "manifest", "key": ""}), "must not be empty"),
        (valid(options={"max_failure_percent": float("nan")}), "max_failure_percent"),
        ("[1,2]", "must be a JSON object, got a string"),
        ([1, 2], "must be a JSON object, got an array"),
        (None, "must be a JSON object, got null"),
    ],
)
def test_given_bad_input_when_parsed_then_invalid_input_names_the_field(raw, fragment):
    with pytest.raises(InvalidInput) as caught:
        parse_input(raw)
    assert fragment in str(caught.value)


def test_manifest_format_is_inferred_from_extension_or_named():
    assert ManifestSource(type="manifest", key="a/b.jsonl").resolved_format == "jsonl"
    assert ManifestSource(type="manifest", key="a/b.CSV").resolved_format == "csv"
    assert ManifestSource(type="manifest", key="a/b.txt", format="json").resolved_format == "json"
    with pytest.raises(ValueError, match=r"set source\.format"):
        _ = ManifestSource(type="manifest", key="a/b.txt").resolved_format


def test_outcome_has_error_exactly_when_failed():
    with pytest.raises(ValidationError):
        ItemOutcome(index=0, ok=True, error={"type": "X", "message": "m"})
    with pytest.raises(ValidationError):
        ItemOutcome(index=0, ok=False)


def test_unicode_run_ids_are_rejected_but_unicode_items_are_fine():
    with pytest.raises(ValidationError):
        RunInput.model_validate(valid(run_id="rün"))
    assert RunInput.model_validate(valid(source={"type": "inline", "items": ["ü", "🙂"]}))

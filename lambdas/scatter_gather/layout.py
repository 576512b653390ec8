"""Where a run keeps its data in the bucket. Every key of a run is built here."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RunLayout:
    run_id: str

    @property
    def prefix(self) -> str:
        return f"runs/{self.run_id}/"

    @property
    def claim(self) -> str:
        """Written first, with If-None-Match: the first execution of a run id owns it."""
        return f"{self.prefix}run.json"

    @property
    def items(self) -> str:
        """All items as JSON Lines, grouped by batch; each batch reads its byte range."""
        return f"{self.prefix}items.jsonl"

    @property
    def batches(self) -> str:
        """The batch manifest the Distributed Map reads with ItemReader."""
        return f"{self.prefix}batches.json"

    def result(self, batch_id: str) -> str:
        return f"{self.prefix}results/{batch_id}.jsonl"

    def failure(self, batch_id: str) -> str:
        return f"{self.prefix}failures/{batch_id}.json"

    @property
    def report(self) -> str:
        return f"{self.prefix}report.json"

    @property
    def merged_results(self) -> str:
        return f"{self.prefix}results.jsonl"

"""Grouping items into balanced batches, and laying them out in ``items.jsonl``."""

from __future__ import annotations

import heapq
import math
from collections.abc import Sequence

from . import store
from .models import BatchRef, WorkItem


def plan_batches(items: Sequence[WorkItem], batch_size: int) -> list[list[WorkItem]]:
    """Splits items into ``ceil(n / batch_size)`` batches of at most ``batch_size`` items.

    With size hints it is greedy bin-packing, largest first (LPT): each item goes to the
    lightest batch that still has room, so no batch becomes the long pole. Items without a
    hint count as size 1, which makes the split by count alone. Within a batch, items keep
    source order, so results read naturally."""
    if not items:
        return []
    batch_count = math.ceil(len(items) / batch_size)
    if batch_count == 1:
        return [list(items)]
    weight = {item.index: (item.size if item.size is not None else 1) for item in items}
    order = sorted(items, key=lambda it: (-weight[it.index], it.index))
    # Heap of (load, batch number); full batches are dropped from it.
    heap = [(0, b) for b in range(batch_count)]
    members: list[list[WorkItem]] = [[] for _ in range(batch_count)]
    for item in order:
        load, b = heapq.heappop(heap)
        members[b].append(item)
        if len(members[b]) < batch_size:
            heapq.heappush(heap, (load + weight[item.index], b))
    return [sorted(m, key=lambda it: it.index) for m in members if m]


def batch_id(number: int) -> str:
    return f"b{number:06d}"


def layout_items(batches: list[list[WorkItem]]) -> tuple[bytes, list[BatchRef]]:
    """The bytes of ``items.jsonl`` and each batch's byte range in it."""
    chunks: list[bytes] = []
    refs: list[BatchRef] = []
    offset = 0
    for number, members in enumerate(batches):
        chunk = store.jsonl([m.model_dump() for m in members])
        refs.append(
            BatchRef(
                batch_id=batch_id(number),
                start=offset,
                end=offset + len(chunk) - 1,
                items=len(members),
                size=sum(m.size or 0 for m in members),
            )
        )
        chunks.append(chunk)
        offset += len(chunk)
    return b"".join(chunks), refs

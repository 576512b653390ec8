from __future__ import annotations

import json
import math

from hypothesis import given, settings
from hypothesis import strategies as st
from scatter_gather.batching import layout_items, plan_batches
from scatter_gather.models import WorkItem

sizes = st.lists(st.one_of(st.none(), st.integers(0, 10**9)), min_size=1, max_size=400)


def work(sizes_):
    return [WorkItem(index=i, item=f"k{i}", size=s) for i, s in enumerate(sizes_)]


@settings(max_examples=300, deadline=None)
@given(sizes=sizes, batch_size=st.integers(1, 60))
def test_batches_are_balanced_complete_and_bounded(sizes, batch_size):
    items = work(sizes)
    batches = plan_batches(items, batch_size)
    weights = [[(w.size if w.size is not None else 1) for w in b] for b in batches]

    # Every item exactly once, no batch over the size limit, the fewest batches possible.
    assert sorted(w.index for b in batches for w in b) == list(range(len(items)))
    assert all(1 <= len(b) <= batch_size for b in batches)
    assert len(batches) == math.ceil(len(items) / batch_size)
    # Balance: no batch's total exceeds the mean by more than the largest single item.
    mean = sum(map(sum, weights)) / len(batches)
    largest = max(max(w) for w in weights)
    assert all(sum(w) <= mean + largest for w in weights)


def test_without_hints_batches_split_evenly_by_count():
    batches = plan_batches(work([None] * 10), 4)
    assert sorted(len(b) for b in batches) == [3, 3, 4]


def test_a_huge_item_is_topped_up_only_when_the_count_limit_forces_it():
    # Two batches of at most 3: the light batch fills up first, the rest must join the big one.
    batches = plan_batches(work([1000, 1, 1, 1, 1, 1]), 3)
    assert sorted(sum(w.size for w in b) for b in batches) == [3, 1002]
    # With room to spare, the big item stays alone.
    batches = plan_batches(work([1000, 1, 1, 1, 1, 1]), 5)
    assert sorted(sum(w.size for w in b) for b in batches) == [5, 1000]


def test_layout_ranges_point_at_each_batch():
    batches = plan_batches(work([5, None, 7, 1, 2]), 2)
    body, refs = layout_items(batches)
    for ref, members in zip(refs, batches, strict=True):
        chunk = body[ref.start : ref.end + 1]
        assert [json.loads(line)["index"] for line in chunk.splitlines()] == [
            w.index for w in members
        ]
        assert ref.items == len(members)
        assert ref.size == sum(w.size or 0 for w in members)
    assert [r.batch_id for r in refs] == ["b000000", "b000001", "b000002"]

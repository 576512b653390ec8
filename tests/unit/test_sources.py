from __future__ import annotations

import json

import pytest
from scatter_gather.errors import InvalidInput
from scatter_gather.models import InlineSource, ManifestSource, S3PrefixSource
from scatter_gather.sources import enumerate_items

from tests.conftest import BUCKET


def test_inline_items_keep_order_and_take_size_hints():
    items = enumerate_items(
        InlineSource(type="inline", items=["a", {"k": 1, "size": 50}]), None, BUCKET
    )
    assert [(w.index, w.item, w.size) for w in items] == [
        (0, "a", None),
        (1, {"k": 1, "size": 50}, 50),
    ]


def test_prefix_lists_every_page_and_uses_object_size(s3):
    for n in range(1005):  # more than one ListObjectsV2 page
        s3.put_object(Bucket=BUCKET, Key=f"data/{n:05d}.txt", Body=b"x" * (n % 7))
    s3.put_object(Bucket=BUCKET, Key="other/skip.txt", Body=b"no")
    items = enumerate_items(S3PrefixSource(type="s3_prefix", prefix="data/"), s3, BUCKET)
    assert len(items) == 1005
    assert items[3].item == {"bucket": BUCKET, "key": "data/00003.txt", "size": 3}
    assert items[3].size == 3


def test_prefix_suffix_filter_and_folder_markers(s3):
    s3.put_object(Bucket=BUCKET, Key="d/", Body=b"")
    s3.put_object(Bucket=BUCKET, Key="d/a.csv", Body=b"1")
    s3.put_object(Bucket=BUCKET, Key="d/b.txt", Body=b"1")
    items = enumerate_items(
        S3PrefixSource(type="s3_prefix", prefix="d/", suffix=".csv"), s3, BUCKET
    )
    assert [w.item["key"] for w in items] == ["d/a.csv"]


@pytest.mark.parametrize(
    ("key", "body", "expected"),
    [
        (
            "m.json",
            json.dumps(["a", {"key": "b", "size": 9}]),
            [("a", None), ({"key": "b", "size": 9}, 9)],
        ),
        ("m.jsonl", '"a"\n\n{"key": "b"}\n', [("a", None), ({"key": "b"}, None)]),
        (
            "m.csv",
            "key,size\r\nx.txt,10\r\ny.txt,20\r\n",
            [({"key": "x.txt", "size": 10}, 10), ({"key": "y.txt", "size": 20}, 20)],
        ),
        ("m.csv", "\ufeffkey\nx\n", [({"key": "x"}, None)]),
    ],
)
def test_manifest_formats(s3, key, body, expected):
    s3.put_object(Bucket=BUCKET, Key=key, Body=body.encode())
    items = enumerate_items(ManifestSource(type="manifest", key=key), s3, BUCKET)
    assert [(w.item, w.size) for w in items] == expected


@pytest.mark.parametrize(
    ("key", "body", "fragment"),
    [
        ("m.json", "{not json", "is not valid JSON (line 1"),
        ("m.json", '{"a": 1}', "must be a JSON array"),
        ("m.jsonl", '"ok"\n{broken\n', "line 2 is not valid JSON"),
        ("m.csv", "key,size\nx,1,extra\n", "row 2 has 3 fields"),
        ("m.csv", "key,size\nx,ten\n", "size 'ten' is not a whole number"),
        ("m.csv", "key,key\nx,y\n", "distinct, non-empty column names"),
        ("m.json", "[]", "has no items"),
        ("m.json", "[null]", "item 0 is null"),
        ("m.json", json.dumps(["x" * 9000]), "over the 8,192-byte limit"),
    ],
)
def test_bad_manifests_are_invalid_input(s3, key, body, fragment):
    s3.put_object(Bucket=BUCKET, Key=key, Body=body.encode())
    with pytest.raises(InvalidInput, match=None) as caught:
        enumerate_items(ManifestSource(type="manifest", key=key), s3, BUCKET)
    assert fragment in str(caught.value)


def test_non_utf8_manifest_is_invalid_input(s3):
    s3.put_object(Bucket=BUCKET, Key="m.csv", Body=b"key\n\xff\xfe\n")
    with pytest.raises(InvalidInput, match="not UTF-8"):
        enumerate_items(ManifestSource(type="manifest", key="m.csv"), s3, BUCKET)


def test_missing_object_bucket_and_empty_prefix(s3):
    with pytest.raises(InvalidInput, match=r"does not exist; check source\.key"):
        enumerate_items(ManifestSource(type="manifest", key="nope.json"), s3, BUCKET)
    with pytest.raises(InvalidInput, match="bucket 'no-such-bucket' does not exist"):
        enumerate_items(
            S3PrefixSource(type="s3_prefix", prefix="x/", bucket="no-such-bucket"), s3, BUCKET
        )
    with pytest.raises(InvalidInput, match="has no items"):
        enumerate_items(S3PrefixSource(type="s3_prefix", prefix="empty/"), s3, BUCKET)

"""The RunCache (ivanalysis.memo): by default it keeps nothing; installed with sizes, it keeps at most that many values,
the least recently used dropped first, and hands kept values out through `hand_out`."""
from __future__ import annotations

import pytest

from ivanalysis import memo

pytestmark = pytest.mark.unit


def counting():
    calls = []

    def compute(value):
        def run():
            calls.append(value)
            return [value]
        return run

    return calls, compute


def test_the_default_keeps_nothing_and_hands_out_what_it_computed():
    calls, compute = counting()
    m = memo.RunCache().tables
    first = m.get("a", compute(1), hand_out=list.copy)
    second = m.get("a", compute(1), hand_out=list.copy)
    assert calls == [1, 1] and len(m) == 0
    assert first == [1] and first is not second


def test_keeps_at_most_its_size_least_recently_used_dropped_first():
    calls, compute = counting()
    m = memo.Memo(2)
    m.get("a", compute("a"))
    m.get("b", compute("b"))
    m.get("a", compute("a"))  # kept: "a" is now the most recently used
    m.get("c", compute("c"))  # drops "b"
    assert calls == ["a", "b", "c"] and len(m) == 2
    m.get("a", compute("a"))
    m.get("b", compute("b"))
    assert calls == ["a", "b", "c", "b"]


def test_a_kept_value_is_handed_out_through_hand_out_so_callers_cannot_change_it():
    m = memo.Memo(1)
    got = m.get("a", lambda: [1], hand_out=list.copy)
    got.append(2)
    assert m.get("a", lambda: [9], hand_out=list.copy) == [1]


def test_an_entry_holds_the_objects_whose_ids_are_in_its_key():
    class Geo:
        pass

    m = memo.Memo(1)
    geo = Geo()
    m.get(("t", id(geo)), lambda: "value", holds=(geo,))
    assert m._entries[("t", id(geo))][1] == (geo,)  # while it is kept, no other object can take geo's id


def test_install_returns_the_cache_it_replaces(monkeypatch):
    monkeypatch.setattr(memo, "_current", memo.RunCache())
    before = memo.current()
    kept = memo.RunCache.keeping(tables=3, national=1)
    assert memo.install(kept) is before and memo.current() is kept
    assert (kept.tables.size, kept.national.size) == (3, 1)
    assert memo.install(None) is kept and memo.current().tables.size == 0


def test_clear_drops_every_part_and_keeps_the_sizes():
    cache = memo.RunCache.keeping(tables=2)
    calls, compute = counting()
    cache.tables.get("t", compute("table"))
    cache.national.get("n", compute("national"))
    cache.hubs.get("h", compute("hubs"))
    cache.clear()
    assert (len(cache.tables), len(cache.national), len(cache.hubs)) == (0, 0, 0)
    cache.tables.get("t", compute("table"))  # computed again, and kept again
    assert calls == ["table", "national", "hubs", "table"] and len(cache.tables) == 1

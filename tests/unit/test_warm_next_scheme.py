"""A warm kernel moving on to another scheme drops what it kept for the last one (pipeline/warm.py): at ten times the
default rows a kernel carried 4 to 6 GiB of one scheme's tables into the next scheme's run."""
from __future__ import annotations

import pytest

from ivanalysis import memo
from ivanalysis.pipeline import warm

pytestmark = pytest.mark.unit


def test_only_a_run_of_another_scheme_moves_the_kernel_on(monkeypatch):
    monkeypatch.setattr(warm._Kernel, "scheme", None)
    assert [warm.moves_on(s) for s in ("a", "a", "b", "b", "a")] == [False, False, True, False, True]
    warm.discard()  # a new kernel keeps nothing yet
    assert warm._Kernel.scheme is None and warm.moves_on("b") is False


def test_the_code_run_in_the_kernel_empties_its_run_cache(monkeypatch):
    cache = memo.RunCache.keeping(tables=3)
    monkeypatch.setattr(memo, "_current", cache)
    cache.tables.get("radiotherapy", lambda: [1, 2, 3])
    cache.national.get("prostate_fractionation", lambda: {"ENG": 1.0})
    exec(warm.NEXT_SCHEME, {})  # as the kernel runs it: in a namespace of its own
    assert (len(cache.tables), len(cache.national), len(cache.hubs)) == (0, 0, 0)
    assert memo.current() is cache and cache.tables.size == 3  # the same cache, keeping as much as before

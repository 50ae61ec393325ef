"""Schemes that split their analysis into `national` (the same for every area) and `analyse(tables, run, national)`:
a warm kernel's RunCache keeps the national part between a scheme's runs (ivanalysis.memo, schemes/registry.py).
Keeping it must change nothing:
each area's result equals the one computed from scratch, and no area's analysis alters what is kept for the next."""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from ivanalysis import memo
from ivanalysis.data import io
from ivanalysis.geography import load_geography
from ivanalysis.results import Period
from ivanalysis.schemes import registry

pytestmark = pytest.mark.integration

SPLIT = [s.id for s in registry.implemented() if registry.scheme(s.id).national is not None]
AREAS = ["ENG", "LON", "SW", "NEC"]


def fingerprint(obj) -> object:
    """A comparable digest of a result or of national results: frames by their values, index and dtypes."""
    if isinstance(obj, (pd.DataFrame, pd.Series)):
        frame = obj.to_frame() if isinstance(obj, pd.Series) else obj
        return ("frame", tuple(map(str, frame.columns)), tuple(map(str, frame.dtypes)), str(frame.index.dtype),
                len(frame), int(pd.util.hash_pandas_object(frame.astype(str), index=True).sum()))
    if isinstance(obj, pd.Index):
        return ("index", tuple(map(str, obj)))
    if isinstance(obj, np.ndarray):
        return ("array", obj.dtype.str, obj.tobytes())
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return (type(obj).__name__, tuple((f.name, fingerprint(getattr(obj, f.name))) for f in dataclasses.fields(obj)))
    if isinstance(obj, dict):
        return ("dict", tuple((repr(k), fingerprint(v)) for k, v in obj.items()))
    if isinstance(obj, (list, tuple, set, frozenset)):
        items = sorted(obj, key=repr) if isinstance(obj, (set, frozenset)) else obj
        return (type(obj).__name__, tuple(fingerprint(v) for v in items))
    if isinstance(obj, float) and np.isnan(obj):
        return ("nan",)
    if hasattr(obj, "model_dump_json"):
        return ("model", obj.model_dump_json())
    return repr(obj)


def outcome(compute) -> object:
    try:
        return fingerprint(compute())
    except Exception as exc:  # noqa: BLE001 - compared, not hidden
        return ("error", type(exc).__name__, str(exc))


def use(cache: memo.RunCache, monkeypatch) -> memo.RunCache:
    """Make `cache` the process's RunCache for this test only."""
    monkeypatch.setattr(memo, "_current", cache)
    return cache


def test_some_schemes_split_their_analysis():
    assert SPLIT, "no scheme defines national(): the warm kernel's national results are never used"


@pytest.mark.parametrize("scheme_id", SPLIT)
def test_kept_national_results_change_nothing(scheme_id, tiny_data, monkeypatch):
    cache = use(memo.RunCache.keeping(tables=3, national=1), monkeypatch)  # as in a warm kernel
    geo = load_geography()
    s = registry.scheme(scheme_id)
    p = registry.params(scheme_id)
    period = Period.financial_year(p.period)
    tables = {n: io.load_table(tiny_data, n, geo, registry.input_columns(scheme_id, n)) for n in s.tables}
    kept = None
    for code in AREAS:
        # the kept national results, after the first area (an area may fail, e.g. no rows: then both fail alike)
        warm = outcome(lambda code=code: registry.analyse(scheme_id, code, tiny_data, None, geo))
        entry = cache.national.values()
        assert len(entry) == 1, "one scheme's national results are kept, no more"
        if kept is None:
            kept, before = entry[0], fingerprint(entry[0])
        assert entry[0] is kept, "the same national results serve every area of a scheme"
        fresh = outcome(lambda code=code: registry.analyse_tables(scheme_id, {n: t.copy() for n, t in tables.items()},
                                                                  geo.get(code), period, geo, params_=p))
        assert warm == fresh, f"{scheme_id} for {code}: kept national results changed it"
        assert fingerprint(kept) == before, f"{scheme_id}: analysing {code} altered the kept national results"


def test_a_cold_kernel_keeps_nothing(tiny_data, monkeypatch):
    if not SPLIT:
        pytest.skip("no scheme splits its analysis")
    cache = use(memo.RunCache(), monkeypatch)  # the default: keeps nothing
    registry.analyse(SPLIT[0], "LON", tiny_data)
    assert not cache.national and not cache.tables


def test_new_data_is_not_served_old_national_results(tiny_data, tmp_path, monkeypatch):
    """The key holds each input file's identity: a table rewritten between runs gets its national part again."""
    import shutil

    if not SPLIT:
        pytest.skip("no scheme splits its analysis")
    cache = use(memo.RunCache.keeping(tables=3, national=1), monkeypatch)
    data = tmp_path / "data"
    shutil.copytree(tiny_data, data)
    scheme_id = SPLIT[0]
    registry.analyse(scheme_id, "LON", data)
    first = cache.national.values()[0]
    table = registry.module(scheme_id).TABLES[0]
    path = io.find_table(data, table)
    df = pd.read_parquet(path)
    df.iloc[:-1].to_parquet(path, index=False)  # one row fewer
    registry.analyse(scheme_id, "LON", data)
    assert cache.national.values()[0] is not first

"""Reading only some columns of a table (`load_table(..., columns=...)`, each scheme's INPUT_COLUMNS): the same
values as the whole table, an unknown column refused by name, and validation still of the whole table."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from ivanalysis import memo
from ivanalysis.data import io
from ivanalysis.data.schemas import TABLES
from ivanalysis.data.synth import generate
from ivanalysis.errors import ConfigError
from ivanalysis.geography import load_geography
from ivanalysis.schemes import registry

pytestmark = pytest.mark.unit

TABLE = "radiotherapy"
WANTED = ["fractions", "provider_code", "start_date"]  # not in the table's order, on purpose


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("columns")
    generate(root / "parquet", scale=0.01, tables=[TABLE])
    generate(root / "csv", scale=0.01, fmt="csv", tables=[TABLE])
    return root


@pytest.fixture
def fresh(monkeypatch, tmp_path):
    """An empty validated-table cache on disk and none in memory, so each load below reads what the test says."""
    monkeypatch.setenv("IVANALYSIS_BUILD_DIR", str(tmp_path / "_build"))
    monkeypatch.delenv("IVANALYSIS_TABLE_CACHE", raising=False)  # the test run's shared cache (tests/conftest.py)
    monkeypatch.setattr(memo, "_current", memo.RunCache())  # keeps nothing
    return tmp_path / "_build"


def in_table_order(columns):
    return [c for c in TABLES[TABLE].schema.columns if c in columns]


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_only_the_columns_asked_for_with_the_same_values(data, fresh, fmt):
    geo = load_geography()
    whole = io.load_table(data / fmt, TABLE, geo)
    first = io.load_table(data / fmt, TABLE, geo, columns=WANTED)  # read from the cache `whole` left on disk
    for validated in fresh.glob("cache/tables/*.parquet"):
        validated.unlink()
    validated_now = io.load_table(data / fmt, TABLE, geo, columns=WANTED)  # validated whole, then projected
    for part in (first, validated_now):
        assert list(part.columns) == in_table_order(WANTED)
        pd.testing.assert_frame_equal(part, whole[in_table_order(WANTED)], check_exact=True)


def test_an_unknown_column_is_refused_naming_table_and_column(data, fresh):
    with pytest.raises(ConfigError) as err:
        io.load_table(data / "parquet", TABLE, load_geography(), columns=["provider_code", "no_such_column"])
    assert "'radiotherapy'" in str(err.value) and "'no_such_column'" in str(err.value)
    assert "provider_code" in str(err.value)  # the columns it does have are listed


def test_the_memory_cache_keeps_each_projection_apart_and_hands_out_copies(data, fresh, monkeypatch):
    cache = memo.RunCache.keeping(tables=2)
    monkeypatch.setattr(memo, "_current", cache)
    geo = load_geography()
    part = io.load_table(data / "parquet", TABLE, geo, columns=WANTED)
    part.loc[:, "fractions"] = -1  # a run may change what it gets
    again = io.load_table(data / "parquet", TABLE, geo, columns=WANTED)
    assert (again["fractions"] > 0).all()
    whole = io.load_table(data / "parquet", TABLE, geo)
    assert list(whole.columns) == list(TABLES[TABLE].schema.columns)
    assert len(cache.tables) == 2


def test_ensure_validated_writes_the_cache_once_and_reads_nothing_after(data, fresh, monkeypatch):
    geo = load_geography()
    io.ensure_validated(data / "csv", TABLE, geo)
    assert len(list(fresh.glob(f"cache/tables/{TABLE}-*.parquet"))) == 1

    def never(*args, **kwargs):
        raise AssertionError("the table was read again")

    monkeypatch.setattr(io, "read_file", never)
    monkeypatch.setattr(io, "_read_parquet", never)
    io.ensure_validated(data / "csv", TABLE, geo)


@pytest.mark.parametrize("scheme", [s.id for s in registry.implemented()])
def test_each_scheme_names_only_columns_of_the_tables_it_reads(scheme):
    mod = registry.module(scheme)
    declared = getattr(mod, "INPUT_COLUMNS", {})
    assert set(declared) <= set(mod.TABLES), f"{scheme}: INPUT_COLUMNS names a table it does not read"
    for table, columns in declared.items():
        unknown = set(columns) - set(TABLES[table].schema.columns)
        assert not unknown, f"{scheme}: {table} has no column(s) {sorted(unknown)}"
        assert registry.input_columns(scheme, table) == columns


def test_build_folders_share_a_table_cache_named_by_the_setting(data, fresh, tmp_path, monkeypatch):
    """IVANALYSIS_TABLE_CACHE: two build folders validate a table once between them, in the folder it names."""
    shared = tmp_path / "tables"
    monkeypatch.setenv("IVANALYSIS_TABLE_CACHE", str(shared))
    geo = load_geography()
    io.ensure_validated(data / "csv", TABLE, geo)
    assert len(list(shared.glob(f"{TABLE}-*.parquet"))) == 1 and not (fresh / "cache").exists()

    monkeypatch.setenv("IVANALYSIS_BUILD_DIR", str(tmp_path / "other" / "_build"))
    monkeypatch.setattr(io, "validate_table", lambda *a, **k: pytest.fail("validated again for another build folder"))
    part = io.load_table(data / "csv", TABLE, geo, columns=WANTED)
    assert len(part) > 0 and list(part.columns) == in_table_order(WANTED)

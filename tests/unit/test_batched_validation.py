"""A table larger than a batch (io.BATCH_ROWS rows) is validated a batch at a time, so that the memory it takes is
bounded whatever its size, and its rules across rows (unique identifiers, one row per ...) are checked once on the
whole table. The result, and what a bad table is told, must be those of validating it whole. BATCH_ROWS is made
small here so that tiny tables span several batches."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ivanalysis import memo
from ivanalysis.data import io
from ivanalysis.data.schemas import TABLES
from ivanalysis.data.synth import generate
from ivanalysis.errors import DataError
from ivanalysis.geography import load_geography

pytestmark = pytest.mark.unit

GEO = load_geography()
PROVIDER = next(iter(GEO.provider_hub))
BATCHED = ["hcd_invoices", "utilisation_reviews", "sact", "bed_days"]


@pytest.fixture(scope="module")
def synth(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("batched")
    for fmt in ("csv", "parquet"):
        generate(root / fmt, scale=0.01, fmt=fmt, tables=BATCHED)
    return root


@pytest.fixture
def fresh(monkeypatch, tmp_path):
    """An empty validated-table cache on disk and none in memory."""
    monkeypatch.setenv("IVANALYSIS_BUILD_DIR", str(tmp_path / "_build"))
    monkeypatch.delenv("IVANALYSIS_TABLE_CACHE", raising=False)  # the test run's shared cache (tests/conftest.py)
    monkeypatch.setattr(memo, "_current", memo.RunCache())
    return tmp_path / "_build"


def kept(fresh: Path, name: str) -> list[Path]:
    return sorted((fresh / "cache" / "tables").glob(f"{name}-*.parquet"))


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
@pytest.mark.parametrize("name", BATCHED)
def test_a_table_validated_in_batches_is_the_table_validated_whole(synth, fresh, monkeypatch, fmt, name):
    path = synth / fmt / f"{name}.{fmt}"
    whole = io.validate_table(io.read_extract(path, TABLES[name]), TABLES[name], path, GEO)
    monkeypatch.setattr(io, "BATCH_ROWS", len(whole) // 3 + 1)  # three batches
    io.ensure_validated(synth / fmt, name, GEO)
    [entry] = kept(fresh, name)
    pd.testing.assert_frame_equal(pd.read_parquet(entry), whole)
    # and a run reading some columns of it, from a cache not yet written, gets those of the whole table
    entry.unlink()
    columns = list(whole.columns[:3])
    pd.testing.assert_frame_equal(io.load_table(synth / fmt, name, GEO, columns), whole[columns])


def test_a_csv_read_in_batches_numbers_its_rows_through_the_file(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a,b\n1,x\n2,y\n3,z\n", encoding="utf-8")
    batches = list(io.read_batches(path, 2))
    assert [list(b.index) for b in batches] == [[0, 1], [2]]
    assert [list(b["a"]) for b in batches] == [["1", "2"], ["3"]]
    (tmp_path / "h.csv").write_text("a,b\n", encoding="utf-8")
    [empty] = io.read_batches(tmp_path / "h.csv", 2)
    assert list(empty.columns) == ["a", "b"] and empty.empty


def episodes(n: int) -> pd.DataFrame:
    return pd.DataFrame({"episode_id": [f"E{i}" for i in range(1, n + 1)], "provider_code": PROVIDER,
                         "patient_id": [f"P{i}" for i in range(1, n + 1)], "treatment_date": "2017-05-02",
                         "indication": "ITP", "weight_kg": "70", "dose_g": "70"})


def test_problems_in_several_batches_are_counted_through_the_table(tmp_path, fresh, monkeypatch):
    monkeypatch.setattr(io, "BATCH_ROWS", 4)
    df = episodes(10)
    df.loc[[2, 6], "dose_g"] = "-5"  # rows 3 and 7: the first and the second batch
    df.loc[9, "episode_id"] = "E1"  # a duplicate across batches, checked once the rows are mended
    df.to_csv(tmp_path / "immunoglobulin.csv", index=False)
    with pytest.raises(DataError) as info:
        io.ensure_validated(tmp_path, "immunoglobulin", GEO)
    message = str(info.value)
    assert "column 'dose_g'" in message and "2 row(s), e.g. row 3 (line 4): -5.0; row 7 (line 8): -5.0" in message
    assert "checked once these are mended" in message and "field_uniqueness" not in message
    assert kept(fresh, "immunoglobulin") == []  # nothing kept of a refused table


def test_an_identifier_repeated_in_another_batch_is_refused(tmp_path, fresh, monkeypatch):
    monkeypatch.setattr(io, "BATCH_ROWS", 4)
    df = episodes(10)
    df.loc[9, "episode_id"] = "E1"
    df.to_csv(tmp_path / "immunoglobulin.csv", index=False)
    with pytest.raises(DataError) as info:
        io.ensure_validated(tmp_path, "immunoglobulin", GEO)
    assert ("column 'episode_id', rule field_uniqueness (each value must appear once): 2 row(s), e.g. "
            "row 1 (line 2): 'E1'; row 10 (line 11): 'E1'") in str(info.value)
    assert kept(fresh, "immunoglobulin") == []
    assert not list((fresh / "cache" / "tables").glob(".*.tmp"))


def test_a_rule_across_rows_holds_across_batches(synth, tmp_path, fresh, monkeypatch):
    """hcd_invoices: one row per patient_id, drug, product and invoice_period; the copy of row 1 is the last row."""
    df = pd.read_csv(synth / "csv" / "hcd_invoices.csv", dtype=str, keep_default_na=False).head(9)
    copy = df.iloc[[0]].assign(invoice_id="ANOTHERLINE")
    pd.concat([df, copy]).to_csv(tmp_path / "hcd_invoices.csv", index=False)
    monkeypatch.setattr(io, "BATCH_ROWS", 4)
    with pytest.raises(DataError) as info:
        io.ensure_validated(tmp_path, "hcd_invoices", GEO)
    message = str(info.value)
    assert "rule one row per patient_id, drug, product and invoice_period" in message
    assert "2 row(s), e.g. row 1 (line 2)" in message and "row 10 (line 11)" in message


def test_rules_split_into_those_of_a_batch_and_those_across_rows():
    rules = TABLES["hcd_invoices"].rules()
    rows, whole = io._across_rows(rules)
    assert not any(c.unique for c in rows.columns.values()) and rules.columns["invoice_id"].unique
    assert [c.name for c in whole.checks] == ["one row per patient_id, drug, product and invoice_period"]
    assert list(whole.columns) == ["invoice_id", "patient_id", "drug", "product", "invoice_period"]
    assert len(rows.checks) == len(rules.checks) - 1
    reviews = io._across_rows(TABLES["utilisation_reviews"].rules())[1]
    assert reviews.unique == ["spell_id", "day_of_stay"] and {"spell_id", "day_of_stay"} <= set(reviews.columns)
    immunoglobulin = TABLES["immunoglobulin"].rules()
    assert io._across_rows(immunoglobulin)[1].checks == []


def test_a_parquet_file_is_read_in_whole_row_groups_or_parts_of_a_large_one(tmp_path):
    path = tmp_path / "t.parquet"
    df = pd.DataFrame({"a": range(10), "b": [f"x{i}" for i in range(10)]})
    df.to_parquet(path, index=False, row_group_size=2)
    assert [list(b.index) for b in io.read_batches(path, 5)] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    df.to_parquet(path, index=False, row_group_size=7)  # groups of 7 and 3 rows; 7 > twice 3: read in parts
    batches = list(io.read_batches(path, 3))
    assert [len(b) for b in batches] == [3, 3, 1, 3]
    pd.testing.assert_frame_equal(pd.concat(batches), df)


def test_repeated_keys_are_found_by_their_hashes():
    assert list(io._repeated_rows([np.array([5, 1, 5, 2, 1, 7], dtype=np.uint64)])) == [0, 1, 2, 4]
    assert list(io._repeated_rows([np.array([1, 2, 3], dtype=np.uint64), np.array([4, 4, 3], dtype=np.uint64)])) \
        == [0, 1]
    assert len(io._repeated_rows([np.array([1, 2, 3], dtype=np.uint64)])) == 0

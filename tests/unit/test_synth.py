"""`ivanalysis synth`: deterministic, valid, proportional to scale, and only NHS numbers from the test range."""
from __future__ import annotations

import hashlib
import importlib
import json
from pathlib import Path

import pandas as pd
import pytest

from ivanalysis.data.io import MANIFEST, load_table
from ivanalysis.data.schemas import TABLES, nhs_number_is_valid
from ivanalysis.data.schemas.base import nhs_numbers_valid
from ivanalysis.data.synth import DEFAULT_SEED, generate
from ivanalysis.geography import load_geography

pytestmark = pytest.mark.unit

SCALE = 0.02


@pytest.fixture(scope="module")
def runs(tmp_path_factory, tiny_data) -> dict[str, Path]:
    """Four small sets: the default seed twice (the session's tiny data set, generated the same way, and another),
    another seed, and twice the scale."""
    root = tmp_path_factory.mktemp("synth_runs")
    out = {"a": tiny_data, "b": root / "b", "seed": root / "seed", "double": root / "double"}
    generate(out["b"], scale=SCALE)
    generate(out["seed"], scale=SCALE, seed=DEFAULT_SEED + 1)
    generate(out["double"], scale=2 * SCALE)
    return out


def manifest(folder: Path) -> dict:
    return json.loads((folder / MANIFEST).read_text(encoding="utf-8"))


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_manifest_describes_the_set(runs):
    m = manifest(runs["a"])
    assert m["synthetic"] is True
    assert m["seed"] == DEFAULT_SEED == 2019
    assert m["scale"] == SCALE
    assert m["format"] == "parquet"
    assert m["period"] == {"start": "2015-04-01", "end": "2018-03-31"}
    assert set(m["tables"]) == set(TABLES)
    for name, t in m["tables"].items():
        assert t["file"] == f"{name}.parquet"
        assert t["sha256"] == sha256(runs["a"] / t["file"])
        assert t["rows"] == len(pd.read_parquet(runs["a"] / t["file"]))


def test_the_same_seed_gives_byte_identical_files(runs):
    a, b = manifest(runs["a"]), manifest(runs["b"])
    assert a == b
    for name in TABLES:
        file = a["tables"][name]["file"]
        assert (runs["a"] / file).read_bytes() == (runs["b"] / file).read_bytes()
    assert (runs["a"] / MANIFEST).read_bytes() == (runs["b"] / MANIFEST).read_bytes()


def test_another_seed_gives_other_data(runs):
    a, other = manifest(runs["a"]), manifest(runs["seed"])
    assert other["seed"] == DEFAULT_SEED + 1
    for name in TABLES:
        assert a["tables"][name]["sha256"] != other["tables"][name]["sha256"], name


@pytest.mark.parametrize("name", list(TABLES))
def test_every_table_validates(runs, name):
    df = load_table(runs["a"], name, load_geography())
    assert len(df) == manifest(runs["a"])["tables"][name]["rows"]
    assert df[TABLES[name].key].is_unique


@pytest.mark.parametrize("name", list(TABLES))
def test_twice_the_scale_gives_about_twice_the_rows(runs, name):
    single = manifest(runs["a"])["tables"][name]["rows"]
    double = manifest(runs["double"])["tables"][name]["rows"]
    assert single > 100
    # a table of aggregates on a fixed grid (e.g. bed days per provider and month) declares ROWS_SCALE = False:
    # its values grow with the scale, its rows do not
    if getattr(importlib.import_module(f"ivanalysis.data.synth.{name}"), "ROWS_SCALE", True):
        assert 1.8 <= double / single <= 2.2, (single, double)
    else:
        assert double == single


def test_synthetic_patient_ids_are_nhs_numbers_of_the_999_test_range(runs):
    numbers = pd.read_parquet(runs["double"] / "immunoglobulin.parquet")["patient_id"]
    assert len(numbers) > 1000
    assert numbers.str.fullmatch(r"999\d{7}").all()
    assert numbers.map(nhs_number_is_valid).all()


def test_nhs_number_check_digit():
    assert nhs_number_is_valid("9434765919")  # the NHS Data Dictionary's worked example
    assert not nhs_number_is_valid("9434765918")
    assert not nhs_number_is_valid("943476591")  # nine digits
    assert not nhs_number_is_valid("943 476 5919")
    assert not nhs_number_is_valid(9434765919)  # a number, not text
    assert not nhs_number_is_valid("943476591\u0669")  # an Arabic-Indic nine: a digit to Python, not to the NHS
    # 000000006: 6 x 2 = 12, 11 - 12 % 11 = 10, a check no digit can be: no number starts so
    assert not any(nhs_number_is_valid(f"000000006{d}") for d in range(10))


def test_nhs_numbers_are_checked_a_whole_column_at_once():
    values = pd.Series(["9434765919", "9434765918", None, "PSEUDO-1", "0000000000", "9999999999"])
    assert nhs_numbers_valid(values).tolist() == [True, False, False, False, True, True]
    assert nhs_numbers_valid(values.astype("category")).tolist() == [True, False, False, False, True, True]


@pytest.mark.parametrize("kwargs, words", [
    pytest.param({"scale": 0}, "scale must be positive", id="scale-0"),
    pytest.param({"scale": -1.0}, "scale must be positive", id="scale-negative"),
    pytest.param({"fmt": "xlsx"}, "format must be parquet or csv", id="format-xlsx"),
])
def test_bad_arguments_are_refused(tmp_path, kwargs, words):
    with pytest.raises(ValueError, match=words):
        generate(tmp_path / "out", **kwargs)
    assert not (tmp_path / "out").exists()  # refused before anything is written


def test_one_file_per_table_when_the_format_changes(tmp_path):
    generate(tmp_path, scale=0.005, tables=["radiotherapy"])
    generate(tmp_path, scale=0.005, tables=["radiotherapy"], fmt="csv")
    assert sorted(p.name for p in tmp_path.iterdir()) == [MANIFEST, "radiotherapy.csv"]
    assert manifest(tmp_path)["tables"]["radiotherapy"]["file"] == "radiotherapy.csv"

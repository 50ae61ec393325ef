"""A data folder addressed by an fsspec URL (memory:// here, s3:// or gs:// for workers on other machines) reads and
validates exactly as the same files on a local disk; a local path stays a pathlib.Path."""
from __future__ import annotations

import uuid
from pathlib import Path

import fsspec
import pandas as pd
import pytest

from ivanalysis import memo
from ivanalysis.data import io
from ivanalysis.data.synth import generate
from ivanalysis.errors import DataError
from ivanalysis.geography import load_geography

pytestmark = pytest.mark.unit

TABLE = "radiotherapy"


@pytest.fixture(scope="module")
def local(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("urls")
    generate(root / "parquet", scale=0.01, tables=[TABLE])
    generate(root / "csv", scale=0.01, fmt="csv", tables=[TABLE])
    return root


@pytest.fixture
def remote(local, monkeypatch, tmp_path):
    """memory://<folder>/{parquet,csv}: the local files copied into fsspec's in-memory store; nothing kept in memory
    between loads, and a private validated-table cache."""
    monkeypatch.setenv("IVANALYSIS_BUILD_DIR", str(tmp_path / "_build"))
    monkeypatch.setattr(memo, "_current", memo.RunCache())
    fs = fsspec.filesystem("memory")
    root = uuid.uuid4().hex
    for fmt in ("parquet", "csv"):
        for path in (local / fmt).iterdir():
            fs.pipe(f"/{root}/{fmt}/{path.name}", path.read_bytes())
    yield f"memory://{root}"
    fs.rm(f"/{root}", recursive=True)


def test_a_url_is_a_upath_and_a_local_folder_a_path(local):
    from upath import UPath

    assert isinstance(io.location("memory://x/data"), UPath)
    assert type(io.location(str(local))) is type(Path(local)) and isinstance(io.location(local), Path)


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_a_table_at_a_url_is_the_table_on_disk(local, remote, fmt):
    geo = load_geography()
    found = io.find_table(f"{remote}/{fmt}", TABLE)
    assert str(found) == f"{remote}/{fmt}/{TABLE}.{fmt}"
    assert io.sha256_file(found) == io.sha256_file(local / fmt / f"{TABLE}.{fmt}")
    pd.testing.assert_frame_equal(io.load_table(f"{remote}/{fmt}", TABLE, geo),
                                  io.load_table(local / fmt, TABLE, geo), check_exact=True)


def test_a_file_url_reads_the_local_folder(local):
    geo = load_geography()
    pd.testing.assert_frame_equal(io.load_table((local / "parquet").as_uri(), TABLE, geo, ["fractions"]),
                                  io.load_table(local / "parquet", TABLE, geo, ["fractions"]), check_exact=True)


def test_a_missing_table_at_a_url_is_named(remote):
    with pytest.raises(DataError, match=f"table 'births' not found: expected {remote}/parquet/births.parquet"):
        io.find_table(f"{remote}/parquet", "births")
    with pytest.raises(DataError, match="does not exist"):
        io.find_table(f"{remote}/nowhere", TABLE)


def test_a_rewritten_file_at_a_url_is_a_new_file(remote):
    path = io.find_table(f"{remote}/csv", TABLE)
    before = io.file_identity(path)
    path.fs.pipe(path.path, path.read_bytes())  # the same bytes written again: a new version of the file
    assert io.file_identity(path) != before and io.file_identity(path)[1] == before[1]


def test_a_csv_at_a_url_with_a_column_twice_is_refused(remote):
    path = io.location(f"{remote}/csv/{TABLE}.csv")
    header, rest = path.read_text().split("\n", 1)
    path.write_text(f"{header},{header.split(',')[0]}\n" + rest.replace("\n", ",x\n"))
    with pytest.raises(DataError, match="appear more than once"):
        io.read_file(path)

"""A warm build does only what changed: with nothing changed it checks nothing (no run's key, no page staged); with
inputs rewritten as they were it checks the runs and leaves the book; with one hub's rows changed it executes the
runs that read them and builds the book again, showing the new input."""
from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pandas as pd
import pytest
from rich.console import Console

from ivanalysis.data.schemas import TABLES
from ivanalysis.geography import load_geography
from ivanalysis.pipeline import book, plan
from ivanalysis.pipeline.build import build_all

pytestmark = pytest.mark.integration


def _build(data: Path) -> str:
    console = Console(record=True, width=200)
    assert build_all(["prostate_fractionation"], ["ENG", "LON"], jobs=1, data_dir=data, console=console), \
        console.export_text()
    return console.export_text()


def _refuse(what: str):
    def refused(*args, **kwargs):
        raise AssertionError(f"{what} was called: the build did work it had no need to")

    return refused


def _rewritten(path: Path) -> None:
    """The same bytes written again later (a copy, a new export of the same rows)."""
    data = path.read_bytes()
    path.write_bytes(data)
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))


def test_a_warm_build_does_only_what_changed(build_dir, tiny_data, tmp_path):
    data = Path(shutil.copytree(tiny_data, tmp_path / "data"))
    _build(data)

    with pytest.MonkeyPatch.context() as mp:  # nothing changed: no run is planned, no page staged
        mp.setattr(plan, "plan", _refuse("plan"))
        mp.setattr(book, "stage", _refuse("staging"))
        text = _build(data)
    assert "2 runs: 0 executed, 2 cached, 0 failed" in text and "nothing changed since the last build" in text
    assert "book unchanged" in text

    _rewritten(data / "radiotherapy.parquet")
    with pytest.MonkeyPatch.context() as mp:  # the runs are checked (their key reads the file), the book is not
        mp.setattr(book, "stage", _refuse("staging"))
        text = _build(data)
    assert "0 executed, 2 cached" in text and "nothing changed" not in text and "book unchanged" in text
    assert "nothing changed since the last build" in _build(data)

    log = build_dir / "runs" / "prostate_fractionation" / "LON" / "run.log"
    log.write_text(log.read_text() + "\n")  # a run's folder changed, not what the book shows of it
    with pytest.MonkeyPatch.context() as mp:
        staged = []
        mp.setattr(book, "stage", lambda data_dir, *a, real=book.stage: staged.append(1) or real(data_dir, *a))
        text = _build(data)
    assert staged and "book unchanged" in text

    # one hub's rows changed: the runs that read the table execute, the book shows the new table
    path = data / "radiotherapy.parquet"
    spec = TABLES["radiotherapy"]
    df = pd.read_parquet(path)
    row = df.index[df[spec.provider_column].isin(load_geography().get("LON").providers)][0]
    df.loc[row, spec.date_column] = df.loc[row, spec.date_column] + pd.Timedelta(days=1)
    df.to_parquet(path, index=False)
    text = _build(data)
    assert "2 runs: 2 executed, 0 cached" in text and "book built" in text
    sha = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    for area in ("ENG", "LON"):
        assert sha in (build_dir / "html" / "runs" / "prostate_fractionation" / f"{area}.html").read_text()
    assert "nothing changed since the last build" in _build(data)

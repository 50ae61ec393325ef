"""Shared helpers of the per-table validation tests (tests/unit/test_data_<table>.py): each test edits a few cells of
its table's small valid frame, then loads it as a CSV file (or validates it in memory) and checks the refusal. One
copy here, so every table's tests write, load and read the error the same way. Imported as `from tables import ...`:
tests/ is not a package, so pytest's default (prepend) import mode puts tests/unit on sys.path for its test files."""
from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd
import pytest

from ivanalysis.data.io import load_table, validate_table
from ivanalysis.data.schemas import TABLES
from ivanalysis.errors import DataError
from ivanalysis.geography import load_geography


def edited(df: pd.DataFrame, *edits: tuple[int, str, object]) -> pd.DataFrame:
    """A copy of df with each (row, column, text) cell set; the valid frame itself is shared, so it is never changed."""
    out = df.copy()
    for row, column, text in edits:
        out.loc[row, column] = text
    return out


def load_csv(tmp_path: Path, table: str, df: pd.DataFrame) -> pd.DataFrame:
    """df written as tmp_path/<table>.csv and loaded as the pipeline loads it (the file's text is what is checked)."""
    df.to_csv(tmp_path / f"{table}.csv", index=False)
    return load_table(tmp_path, table, load_geography())


def refusal(tmp_path: Path, table: str, df: pd.DataFrame, words: Iterable[str] = ()) -> str:
    """The DataError message of loading df as <table>.csv, checked to name the file and to contain each of words; the
    test fails if the table loads."""
    with pytest.raises(DataError) as info:
        load_csv(tmp_path, table, df)
    return _checked(str(info.value), str(tmp_path / f"{table}.csv"), words)


def frame_refusal(table: str, df: pd.DataFrame, words: Iterable[str] = ()) -> str:
    """The DataError message of validating df in memory as if read from <table>.csv (for frames a CSV cannot carry
    unchanged), checked as refusal checks it."""
    with pytest.raises(DataError) as info:
        validate_table(df, TABLES[table], Path(f"{table}.csv"), load_geography())
    return _checked(str(info.value), f"{table}.csv", words)


def _checked(message: str, file: str, words: Iterable[str]) -> str:
    assert file in message, message
    for word in words:
        assert word in message, message
    return message

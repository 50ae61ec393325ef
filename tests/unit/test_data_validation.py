"""Input tables are validated before any analysis: a bad file gets a DataError that names the file, the column,
the rule and a few offending rows (DESIGN.md, Contracts). Each bad input below is one small edit of a valid table.

Rows are counted from 1 under the header, so the third data row is 'row 3 (line 4)' of a CSV file.
"""
from __future__ import annotations

import random
import shutil
from pathlib import Path

import pandas as pd
import pytest

from ivanalysis.data.io import load_table, read_file, validate_table
from ivanalysis.data.schemas import TABLES
from ivanalysis.data.synth import generate
from ivanalysis.errors import DataError
from ivanalysis.geography import load_geography

pytestmark = pytest.mark.unit


@pytest.fixture(scope="session")
def synth(tmp_path_factory) -> Path:
    """A tiny synthetic set in both formats: <root>/csv and <root>/parquet."""
    root = tmp_path_factory.mktemp("synth")
    generate(root / "csv", scale=0.01, fmt="csv")
    generate(root / "parquet", scale=0.01, fmt="parquet")
    return root


def head(synth: Path, table: str, n: int = 10) -> pd.DataFrame:
    """The first n rows of a valid table, every cell as the text of the CSV file."""
    return pd.read_csv(synth / "csv" / f"{table}.csv", dtype=str, keep_default_na=False).head(n)


def csv_lines(synth: Path, table: str, n: int = 10) -> list[str]:
    """The header and first n data lines of a valid CSV file, each with its newline."""
    return (synth / "csv" / f"{table}.csv").read_text(encoding="utf-8").splitlines(keepends=True)[: n + 1]


# --- builders: each writes one bad table into folder d and returns the path the message must name -----------------
def cells(table, *edits):
    """Set (row, column, text) cells of a valid table; row 2 is 'row 3 (line 4)'."""
    def build(synth, d):
        df = head(synth, table)
        for row, column, text in edits:
            df.loc[row, column] = text
        path = d / f"{table}.csv"
        df.to_csv(path, index=False)
        return path
    return build


def frame(table, change, fmt="csv"):
    def build(synth, d):
        df = change(head(synth, table))
        path = d / f"{table}.{fmt}"
        df.to_csv(path, index=False) if fmt == "csv" else df.to_parquet(path, index=False)
        return path
    return build


def text(table, change, encoding="utf-8"):
    """Edit the raw text of a valid CSV file (header and 10 data lines)."""
    def build(synth, d):
        path = d / f"{table}.csv"
        path.write_bytes(change(csv_lines(synth, table)).encode(encoding))
        return path
    return build


def raw_bytes(name, content):
    def build(synth, d):
        path = d / name
        path.write_bytes(content(synth))
        return path
    return build


def nothing(synth, d):
    return d / "immunoglobulin"


def both_formats(synth, d):
    shutil.copy(synth / "csv" / "immunoglobulin.csv", d)
    shutil.copy(synth / "parquet" / "immunoglobulin.parquet", d)
    return d


def cut_last_line(lines):
    """The last line cut after its third field: the date, the indication and the dose are empty."""
    last = lines[-1].split(",")
    return "".join(lines[:-1]) + ",".join(last[:3])


def extra_field(line_no):
    def change(lines):
        lines = list(lines)
        lines[line_no - 1] = lines[line_no - 1].rstrip("\n") + ",extra\n"
        return "".join(lines)
    return change


def latin1_cell(lines):
    lines = list(lines)
    fields = lines[3].split(",")  # line 4
    fields[4] = "Thrombocytopénie"
    lines[3] = ",".join(fields)
    return "".join(lines)


def truncated_parquet(synth):
    data = (synth / "parquet" / "immunoglobulin.parquet").read_bytes()
    return data[: len(data) // 2]


IG = "immunoglobulin"
ROW3 = "row 3 (line 4)"
# (builder, table, words the message must contain). A single broken cell must give exactly one rule.
BAD_INPUTS = [
    # the file itself
    pytest.param(nothing, IG, ["table 'immunoglobulin' not found", "immunoglobulin.parquet", "immunoglobulin.csv"],
                 id="missing-file"),
    pytest.param(both_formats, IG, ["ambiguous", "immunoglobulin.parquet", "immunoglobulin.csv", "keep one"],
                 id="csv-and-parquet"),
    pytest.param(raw_bytes("immunoglobulin.csv", lambda s: b""), IG, ["the file is empty (no header row)"],
                 id="empty-file"),
    pytest.param(text(IG, lambda lines: lines[0]), IG, ["table 'immunoglobulin' has a header but no rows"],
                 id="header-only"),
    pytest.param(text(IG, latin1_cell, encoding="latin-1"), IG,
                 ["not UTF-8 text", "byte 0xe9 on line 4", "Thrombocytop", "save the file as UTF-8"], id="latin-1"),
    pytest.param(text(IG, extra_field(4)), IG, ["not a well-formed CSV file", "Expected 7 fields in line 4, saw 8"],
                 id="too-many-fields"),
    pytest.param(text(IG, extra_field(2)), IG,
                 ["not a well-formed CSV file", "the first data row has more fields than the header row"],
                 id="too-many-fields-first-row"),
    pytest.param(raw_bytes("immunoglobulin.parquet", lambda s: random.Random(0).randbytes(2000)), IG,
                 ["cannot be read as parquet"], id="parquet-random-bytes"),
    pytest.param(raw_bytes("immunoglobulin.parquet", truncated_parquet), IG,
                 ["cannot be read as parquet"], id="parquet-truncated"),
    # columns
    # a table's key, date and provider columns are required; any other only by the schemes that read it
    # (test_optional_columns.py)
    pytest.param(frame(IG, lambda df: df.drop(columns="treatment_date")), IG,
                 ["column 'treatment_date' is missing", "columns found: episode_id, provider_code, patient_id",
                  "it places a row in a month and a financial year"], id="missing-column"),
    pytest.param(frame(IG, lambda df: df.rename(columns={"episode_id": "episode"})), IG,
                 ["column 'episode_id' is missing", "columns found: episode, provider_code", "it identifies a row"],
                 id="misspelt-column"),
    # cells
    pytest.param(cells(IG, (2, "dose_g", "lots")), IG,
                 ["column 'dose_g'", "value could not be read as 'float64'", f"{ROW3}: 'lots'"], id="text-in-number"),
    pytest.param(cells(IG, (2, "treatment_date", "31/02/2016")), IG,
                 ["column 'treatment_date'", "could not be read as a date", f"{ROW3}: '31/02/2016'"],
                 id="unparsable-date"),
    pytest.param(cells(IG, (2, "treatment_date", "01/05/2016")), IG,
                 ["column 'treatment_date'", "could not be read as a date (written YYYY-MM-DD",
                  f"{ROW3}: '01/05/2016'"], id="day-first-date"),  # was silently read as 5 January
    pytest.param(cells(IG, (2, "treatment_date", "2099-01-01")), IG,
                 ["column 'treatment_date'", "dates must lie between 2000-01-01 and today", f"{ROW3}: 2099-01-01"],
                 id="future-date"),
    pytest.param(cells(IG, (2, "treatment_date", "1999-12-31")), IG,
                 ["column 'treatment_date'", "dates must lie between 2000-01-01 and today", f"{ROW3}: 1999-12-31"],
                 id="date-before-2000"),
    pytest.param(cells(IG, (2, "dose_g", "-5")), IG,
                 ["column 'dose_g'", "more than 0 and at most 1000", f"{ROW3}: -5.0"], id="negative-dose"),
    pytest.param(cells(IG, (2, "dose_g", "0")), IG,
                 ["column 'dose_g'", "more than 0 and at most 1000", f"{ROW3}: 0.0"], id="zero-dose"),
    pytest.param(cells(IG, (2, "dose_g", "1e12")), IG,
                 ["column 'dose_g'", "more than 0 and at most 1000", f"{ROW3}: 1000000000000.0"], id="huge-dose"),
    pytest.param(cells(IG, (2, "weight_kg", "450")), IG,
                 ["column 'weight_kg'", "in_range(1, 300)", f"{ROW3}: 450.0"], id="weight-out-of-range"),
    pytest.param(cells(IG, (0, "episode_id", "IG-DUP-1"), (2, "episode_id", "IG-DUP-1")), IG,
                 ["column 'episode_id'", "field_uniqueness", "2 row(s)", "row 1 (line 2): 'IG-DUP-1'",
                  f"{ROW3}: 'IG-DUP-1'"], id="duplicate-key"),
    pytest.param(cells(IG, (2, "provider_code", "ZZZ-P99")), IG,
                 ["column 'provider_code'", "provider listed in params/geography.yaml", f"{ROW3}: 'ZZZ-P99'"],
                 id="unknown-provider"),
    # any pseudonymised patient id will do (NHS numbers are checked only when said: test_data_immunoglobulin.py)
    pytest.param(cells(IG, (2, "patient_id", "999 999 9999")), IG,
                 ["column 'patient_id'", "str_matches", f"{ROW3}: '999 999 9999'"], id="patient-id-with-spaces"),
    pytest.param(cells(IG, (2, "episode_id", '=HYPERLINK("x")')), IG,
                 ["column 'episode_id'", "str_matches", f"""{ROW3}: '=HYPERLINK("x")'"""], id="formula-in-id"),
    pytest.param(cells(IG, (2, "indication", "Measles")), IG,
                 ["column 'indication'", "isin(['ITP'", f"{ROW3}: 'Measles'"], id="unknown-category"),
    pytest.param(cells(IG, (3, "episode_id", "")), IG,
                 ["column 'episode_id'", "not_nullable (a value is required)", "row 4 (line 5): (empty)"],
                 id="empty-required-cell"),
    pytest.param(text(IG, cut_last_line), IG,
                 ["breaks 3 rule(s)", "column 'treatment_date', rule not_nullable", "column 'indication'",
                  "column 'dose_g'", "row 10 (line 11): (empty)"], id="truncated-csv"),
    pytest.param(frame(IG, lambda df: df.assign(dose_g=df["dose_g"].where(df.index != 2, "lots")), fmt="parquet"),
                 IG, ["column 'dose_g'", "could not be read as 'float64'", "row 3: 'lots'"],
                 id="parquet-text-in-number"),
    pytest.param(cells("critical_care", (2, "ready_at", "2016-01-02 10:00:00"),
                       (2, "discharged_at", "2016-01-01 10:00:00")), "critical_care",
                 ["rows, rule discharged_at >= ready_at (a patient cannot leave before they are ready)", "1 row(s)",
                  f"{ROW3}: ready_at=2016-01-02 10:00:00, discharged_at=2016-01-01 10:00:00"],
                 id="discharged-before-ready"),
    pytest.param(cells("critical_care", (2, "ready_at", "yesterday")), "critical_care",  # no knock-on of the row rule
                 ["column 'ready_at'", "could not be read as a date", f"{ROW3}: 'yesterday'"],
                 id="unreadable-ready-at"),
    pytest.param(cells("critical_care", (2, "ready_at", "")), "critical_care",
                 ["column 'ready_at'", "not_nullable", f"{ROW3}: (empty)"], id="empty-ready-at"),
    pytest.param(cells("radiotherapy", (2, "fractions", "0")), "radiotherapy",
                 ["column 'fractions'", "in_range(1, 60)", f"{ROW3}: 0"], id="zero-fractions"),
    pytest.param(cells("radiotherapy", (2, "fractions", "twenty")), "radiotherapy",
                 ["column 'fractions'", "value could not be read as 'int64'", f"{ROW3}: 'twenty'"],
                 id="text-in-int"),
    pytest.param(cells("radiotherapy", (2, "fractions", "20.5")), "radiotherapy",
                 ["column 'fractions'", "value could not be read as 'int64'", f"{ROW3}: '20.5'"], id="fraction-in-int"),
    pytest.param(cells("radiotherapy", (2, "dose_gy", "0")), "radiotherapy",
                 ["column 'dose_gy'", "more than 0 and at most 200", f"{ROW3}: 0.0"], id="zero-dose-gy"),
]


@pytest.mark.parametrize("build, table, words", BAD_INPUTS)
def test_a_bad_input_names_file_column_rule_and_rows(synth, tmp_path, build, table, words):
    path = build(synth, tmp_path)
    with pytest.raises(DataError) as info:
        load_table(tmp_path, table, load_geography())
    message = str(info.value)
    assert str(path) in message
    for word in words:
        assert word in message
    if "rule" in " ".join(words) and "breaks" not in " ".join(words):
        # one broken rule gives one line: no knock-on failures of the same cell
        assert "breaks 1 rule(s)" in message, message
    assert "Traceback" not in message
    assert info.value.file is not None


def test_a_missing_folder_is_a_data_error(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        load_table(tmp_path / "nope", IG)


def test_problems_are_listed_on_the_error(synth, tmp_path):
    cells(IG, (2, "dose_g", "-5"), (4, "indication", "Measles"))(synth, tmp_path)
    with pytest.raises(DataError) as info:
        load_table(tmp_path, IG)
    problems = {p["column"]: p for p in info.value.problems}
    assert set(problems) == {"dose_g", "indication"}
    assert problems["dose_g"]["count"] == 1
    assert problems["dose_g"]["examples"] == [(2, -5.0)]
    assert problems["indication"]["examples"] == [(4, "Measles")]


def test_an_unknown_provider_is_reported_with_the_schema_problems(synth, tmp_path):
    # one message says everything: the negative dose (schema) and the provider missing from the geography
    cells(IG, (2, "dose_g", "-5"), (3, "provider_code", "ZZZ99"))(synth, tmp_path)
    with pytest.raises(DataError) as info:
        load_table(tmp_path, IG, load_geography())
    problems = {p["column"]: p for p in info.value.problems}
    assert set(problems) == {"dose_g", "provider_code"}
    assert problems["provider_code"]["examples"] == [(3, "ZZZ99")]
    assert "row 4 (line 5): 'ZZZ99'" in str(info.value)


def test_at_most_three_examples_per_rule(synth, tmp_path):
    cells(IG, *[(r, "indication", f"Bad{r}") for r in range(6)])(synth, tmp_path)
    with pytest.raises(DataError) as info:
        load_table(tmp_path, IG)
    message = str(info.value)
    assert "6 row(s), e.g. row 1 (line 2): 'Bad0'; row 2 (line 3): 'Bad1'; row 3 (line 4): 'Bad2'" in message
    assert "'Bad3'" not in message


# --- valid tables --------------------------------------------------------------------------------------------------
def test_a_valid_table_comes_back_typed(synth):
    geo = load_geography()
    ig = load_table(synth / "csv", IG, geo)
    assert len(ig) == 2861  # MANIFEST of seed 2019, scale 0.01 (myositis cohorts that change over time since 2035a41)
    assert str(ig["treatment_date"].dtype) == "datetime64[ns]"
    assert ig["dose_g"].dtype == "float64"
    assert ig["weight_kg"].dtype == "float64"
    assert ig["patient_id"].map(type).eq(str).all()
    cc = load_table(synth / "csv", "critical_care", geo)
    assert str(cc["ready_at"].dtype) == str(cc["discharged_at"].dtype) == "datetime64[ns]"
    rt = load_table(synth / "csv", "radiotherapy", geo)
    assert rt["fractions"].dtype == "int64"
    assert rt["dose_gy"].dtype == "float64"


@pytest.mark.parametrize("table", list(TABLES))
def test_csv_and_parquet_of_the_same_data_validate_to_equal_frames(synth, table):
    spec = TABLES[table]
    csv = synth / "csv" / f"{table}.csv"
    parquet = synth / "parquet" / f"{table}.parquet"
    from_csv = validate_table(read_file(csv), spec, csv)
    from_parquet = validate_table(read_file(parquet), spec, parquet)
    pd.testing.assert_frame_equal(from_csv, from_parquet)


def test_extra_columns_and_an_empty_weight_are_allowed(synth, tmp_path):
    frame(IG, lambda df: df.assign(comment="free text").assign(weight_kg=[""] + list(df["weight_kg"][1:])))(
        synth, tmp_path)
    ig = load_table(tmp_path, IG, load_geography())
    assert len(ig) == 10
    assert pd.isna(ig.loc[0, "weight_kg"])
    assert ig.loc[0, "comment"] == "free text"


def test_a_utf8_file_with_a_byte_order_mark_loads(synth, tmp_path):
    # Excel's "CSV UTF-8" starts with a byte-order mark (pandas drops it): it must not stick to the first column name
    text(IG, lambda lines: "".join(lines), encoding="utf-8-sig")(synth, tmp_path)
    ig = load_table(tmp_path, IG, load_geography())
    assert list(ig.columns)[0] == "episode_id"
    assert len(ig) == 10


def test_dates_with_and_without_a_time_in_one_column_load(synth, tmp_path):
    cells(IG, (0, "treatment_date", "2016-05-01"), (1, "treatment_date", "2016-05-01T13:30:00"))(synth, tmp_path)
    ig = load_table(tmp_path, IG, load_geography())
    assert ig.loc[0, "treatment_date"] == pd.Timestamp("2016-05-01")
    assert ig.loc[1, "treatment_date"] == pd.Timestamp("2016-05-01 13:30")


@pytest.mark.parametrize("table", sorted(t for t in TABLES if len(TABLES[t].schema.checks)))
def test_rules_across_columns_give_what_stock_pandera_gives(synth, table, monkeypatch):
    """TableRuleBackend (schemas/base.py) finds the rows whose cells are all empty among the rows that break a rule
    only: the problems reported are those of pandera's own backend, for rows that break a rule and rows of empty
    cells alike."""
    from pandera.backends.pandas.checks import PandasCheckBackend

    from ivanalysis.data.schemas.base import TableRule, TableRuleBackend

    df = head(synth, table, 30)
    rng = random.Random(table)
    for row in rng.sample(range(1, 30), 6):  # cells swapped between rows break rules across columns
        column = rng.choice(list(TABLES[table].schema.columns))
        df.loc[row, column] = df.loc[rng.randrange(30), column]
    df.loc[0] = ""  # a row of empty cells
    df.loc[29, list(TABLES[table].schema.columns)[-1]] = ""

    def problems():
        path = Path(f"{table}.csv")
        try:
            validate_table(read_file_like(df), TABLES[table], path, load_geography())
        except DataError as exc:
            return str(exc), exc.problems
        return None

    assert TableRule.get_backend(df) is TableRuleBackend
    ours = problems()
    monkeypatch.setitem(TableRule.BACKEND_REGISTRY, (TableRule, pd.DataFrame), PandasCheckBackend)
    assert ours == problems() and ours is not None


def read_file_like(df: pd.DataFrame) -> pd.DataFrame:
    """The table as read_file gives a CSV file: text cells, empty cells missing."""
    return df.replace("", None)


# --- strict parsing: no plausible wrong answer from a loose cell ----------------------------------------------------
@pytest.mark.parametrize("value", ["2017", "2017-04", "201704"])
def test_a_date_that_is_not_whole_is_refused(synth, tmp_path, value):
    # "2017" used to be read as 1 January 2017: a year is not a date
    path = cells(IG, (2, "treatment_date", value))(synth, tmp_path)
    with pytest.raises(DataError) as info:
        load_table(tmp_path, IG, load_geography())
    message = str(info.value)
    assert str(path) in message and "column 'treatment_date'" in message
    assert "could not be read as a date" in message and f"{ROW3}: '{value}'" in message


def test_dates_with_an_offset_are_uk_local_dates(synth, tmp_path):
    # 00:30 on 1 April 2017 in British Summer Time is 23:30 on 31 March in UTC: it belongs to 2017/18, as written
    cells(IG, (0, "treatment_date", "2017-04-01T00:30:00+01:00"), (1, "treatment_date", "2017-03-31T23:30:00Z"),
          (2, "treatment_date", "2017-01-15T10:00:00+00:00"))(synth, tmp_path)
    ig = load_table(tmp_path, IG, load_geography())
    assert ig.loc[0, "treatment_date"] == pd.Timestamp("2017-04-01 00:30")
    assert ig.loc[1, "treatment_date"] == pd.Timestamp("2017-04-01 00:30")  # UTC 23:30 is 00:30 BST
    assert ig.loc[2, "treatment_date"] == pd.Timestamp("2017-01-15 10:00")  # GMT in winter
    assert str(ig["treatment_date"].dtype) == "datetime64[ns]"


def test_parquet_timestamps_with_a_time_zone_are_uk_local(synth, tmp_path):
    df = pd.read_parquet(synth / "parquet" / f"{IG}.parquet").head(10)
    df["treatment_date"] = pd.to_datetime(["2017-03-31T23:30:00Z"] * 10, utc=True)
    df.to_parquet(tmp_path / f"{IG}.parquet", index=False)
    ig = load_table(tmp_path, IG, load_geography())
    assert (ig["treatment_date"] == pd.Timestamp("2017-04-01 00:30")).all()


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_a_column_name_given_twice_is_refused(synth, tmp_path, fmt):
    df = head(synth, IG)
    twice = pd.concat([df, df[["dose_g"]]], axis=1)
    path = tmp_path / f"{IG}.{fmt}"
    twice.to_csv(path, index=False) if fmt == "csv" else _parquet_with_duplicates(twice, path)
    with pytest.raises(DataError, match=r"'dose_g' appear more than once") as info:
        load_table(tmp_path, IG, load_geography())
    assert str(info.value).startswith(f"{path}: column name(s) 'dose_g'")


def _parquet_with_duplicates(df: pd.DataFrame, path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.Table.from_arrays([pa.array(df.iloc[:, i]) for i in range(df.shape[1])],
                                        names=list(df.columns)), path)


def test_a_fraction_in_a_whole_number_column_of_parquet_is_refused(synth, tmp_path):
    # the same value in a CSV is refused (test "fraction-in-int" above); Parquet's 20.5 used to become 20
    df = pd.read_parquet(synth / "parquet" / "radiotherapy.parquet").head(10)
    df["fractions"] = df["fractions"].astype(float)
    df.loc[2, "fractions"] = 20.5
    df.to_parquet(tmp_path / "radiotherapy.parquet", index=False)
    with pytest.raises(DataError) as info:
        load_table(tmp_path, "radiotherapy", load_geography())
    assert "column 'fractions', rule a whole number: 1 row(s), e.g. row 3: 20.5" in str(info.value)

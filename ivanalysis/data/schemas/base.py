"""What every table schema is made of: TableSpec, the shared column kinds and rules."""
from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow
import pyarrow.compute as pc
from pandas.api.types import infer_dtype
from pandera.api.base.checks import CheckResult
from pandera.backends.pandas.checks import PandasCheckBackend
from pandera.engines.pandas_engine import DateTime, NpString

from ...config import CODE_PATTERN

EARLIEST = pd.Timestamp("2000-01-01")  # nothing in these data sets predates it; older dates are typing errors
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$"  # also refuses formula-like cells such as =HYPERLINK(...)
ID_RULE = "str_matches: up to 40 letters, digits, - or _, starting with a letter or digit"


def nhs_number_is_valid(value: str) -> bool:
    """The NHS number check digit (modulus 11): weights 10..2 on the first nine digits."""
    return isinstance(value, str) and bool(nhs_numbers_valid(pd.Series([value], dtype=object)).iloc[0])


def nhs_numbers_valid(values: pd.Series) -> pd.Series:
    """Whether each value is an NHS number: ten digits written as text (no spaces), the tenth the modulus 11 check
    digit of the first nine (weights 10 to 2; 11 counts as 0, and no number has the check 10)."""
    text = values.astype(object)
    ok = np.array([isinstance(v, str) and len(v) == 10 and v.isascii() and v.isdigit() for v in text], dtype=bool)
    if ok.any():
        digits = np.array(text[ok].tolist(), dtype="S10").view(np.uint8).reshape(-1, 10).astype(np.int64) - ord("0")
        check = (11 - digits[:, :9] @ np.arange(10, 1, -1) % 11) % 11  # 11 becomes 0; 10 stays 10, never a digit
        ok[ok] = check == digits[:, 9]
    return pd.Series(ok, index=values.index)


def _not_future(series: pd.Series) -> pd.Series:
    return (series >= EARLIEST) & (series <= pd.Timestamp.now().normalize() + pd.Timedelta(days=1))


DATE_IN_RANGE = pa.Check(_not_future, name="date_between_2000_and_today",
                         error="dates must lie between 2000-01-01 and today")
NHS_NUMBER_VALID = pa.Check(nhs_numbers_valid, name="nhs_number",
                            error="an NHS number: 10 digits, the last the modulus 11 check digit of the other nine "
                                  "(--nhs-numbers says this column holds NHS numbers)")


class Text(NpString):
    """pandera's str type, coerced and checked the same way but at C speed where the column is all text: pandera
    asks isinstance(x, str) of every cell in Python, a second or so per column of millions of rows."""

    def coerce(self, data_container):
        if isinstance(data_container, pd.Series) and infer_dtype(data_container, skipna=False) == "string":
            return data_container.astype(str)  # all text already: what pandera returns, without its pass for NaN
        return super().coerce(data_container)

    def check(self, pandera_dtype, data_container=None):
        if data_container is not None and infer_dtype(data_container, skipna=True) == "string":
            return True  # every cell is text or empty
        return super().check(pandera_dtype, data_container)


TEXT = Text()  # a text column's type: use it instead of str


def str_matches(pattern: str, error: str) -> pa.Check:
    """pandera's Check.str_matches (the same name, rule and failures), run on the whole column at once: pandera runs
    Python's re once per cell, seconds on a column of millions. Arrow's regex engine (RE2) matches the column, and
    the few values it refuses are matched again with re, which has the last word: for a pattern anchored by ^ and
    $ and made of ASCII character classes, the two accept the same text, except that re's $ also matches before a
    final newline."""
    if not (pattern.startswith("^") and pattern.endswith("$")) or re.search(r"\\[A-Za-z]", pattern):
        raise ValueError(f"str_matches({pattern!r}): write the pattern with ^, $ and character classes only")
    regex = re.compile(pattern)

    def matches(values: pd.Series) -> pd.Series:
        # empty cells pass, as pandera's builtin leaves them out (ignore_na), but without its own pass to find them
        if values.dtype != object or infer_dtype(values, skipna=True) != "string":
            return values.str.match(pattern, na=False) | values.isna()  # as pandera does: categories, not all text
        try:
            text = pyarrow.array(values, type=pyarrow.large_string(), from_pandas=True)  # empty cells: nulls
        except (pyarrow.ArrowException, UnicodeError):  # text Arrow cannot hold (lone surrogates)
            return values.str.match(pattern, na=False) | values.isna()
        ok = np.array(pc.match_substring_regex(text, pattern).fill_null(True), dtype=bool)
        refused = np.flatnonzero(~ok)
        ok[refused] = [regex.match(v) is not None for v in values.iloc[refused]]
        return pd.Series(ok, index=values.index)

    return pa.Check(matches, name="str_matches", error=error, statistics={"pattern": pattern}, ignore_na=False)


def code_column(description: str, *, unique: bool = False) -> pa.Column:
    return pa.Column(TEXT, str_matches(ID_PATTERN, ID_RULE), unique=unique, coerce=True, description=description)


def provider_column() -> pa.Column:
    return pa.Column(TEXT, str_matches(CODE_PATTERN, ID_RULE), coerce=True,
                     description="Provider (trust) code; must be a provider of params/geography.yaml")


UK = "Europe/London"
# A whole date (year, month and day), then an optional time and an optional offset: ISO 8601 would also take "2017"
# or "2017-04" and read them as the 1st of January or April, a plausible wrong date.
FULL_DATE = r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}:?\d{2})?$"
_FULL_DATE = re.compile(FULL_DATE)
_OFFSET = re.compile(r"(?:Z|[+-]\d{2}:?\d{2})$")


class UKDateTime(DateTime):
    """Dates as the NHS keeps them: ISO 8601 (pandas would otherwise guess one format from the first cell, so a
    column mixing 2016-05-01 and 2016-05-01 13:00:00 failed as a whole, and 01/05/2016 could be read month-first),
    with the whole date required, and a time with an offset (+01:00, Z) taken as UK local time (Europe/London) before
    the month and financial year are assigned: 2017-04-01T00:30+01:00 is the 1st of April, not the 31st of March."""

    def coerce(self, data_container):
        if isinstance(data_container, pd.Series):
            data_container = _uk_local(data_container)
        return super().coerce(data_container)

    def coerce_value(self, value):
        if isinstance(value, str):
            if not _FULL_DATE.match(value.strip()):
                raise ValueError(f"{value!r} is not a whole date")
            if _OFFSET.search(value.strip()):
                return pd.Timestamp(value).tz_convert(UK).tz_localize(None)
        return super().coerce_value(value)


def _uk_local(values: pd.Series) -> pd.Series:
    """Dates with offsets as UK local times without offset; a date that is not whole raises (pandera then finds the
    rows with coerce_value)."""
    if isinstance(values.dtype, pd.DatetimeTZDtype):  # e.g. Parquet timestamps with a time zone
        return values.dt.tz_convert(UK).dt.tz_localize(None)
    if values.dtype != object and not pd.api.types.is_string_dtype(values):
        return values
    text = values.dropna()
    if text.empty or not all(isinstance(v, str) for v in text.iloc[:1]):
        return values
    text = text.astype(str).str.strip()
    arrow = pyarrow.array(text, type=pyarrow.large_string())
    if not pc.all(pc.match_substring_regex(arrow, FULL_DATE)).as_py():
        raise ValueError("a date is not whole (year, month and day)")
    offset = np.array(pc.match_substring_regex(arrow, r"(?:Z|[+-]\d{2}:?\d{2})$"), dtype=bool)
    if not offset.any():
        return values
    out = values.astype(object).copy()
    local = pd.to_datetime(text[offset], format="ISO8601", utc=True).dt.tz_convert(UK).dt.tz_localize(None)
    out.loc[local.index] = local.dt.strftime("%Y-%m-%d %H:%M:%S.%f")
    return out


ISO_DATETIME = UKDateTime(to_datetime_kwargs={"format": "ISO8601"})


def positive_up_to(high: float) -> pa.Check:
    # pandera names this rule in_range(0, high) whether or not 0 is allowed: a dose of 0 needs the rule said in words
    return pa.Check.in_range(0, high, include_min=False, error=f"more than 0 and at most {high:g}")


def date_column(description: str) -> pa.Column:
    return pa.Column(ISO_DATETIME, DATE_IN_RANGE, coerce=True, description=description)


def one_row_per(columns: list[str], name: str, error: str) -> pa.Check:
    """A rule across rows: no two rows hold the same values of `columns`. Unlike every other rule it cannot be checked
    a batch of rows at a time; a table validated in batches (ivanalysis.data.io) checks it once, on the whole table's
    `across_rows` columns."""
    check = pa.Check(lambda df: ~df.duplicated(list(columns), keep=False), name=name, error=error)
    check.across_rows = tuple(columns)
    return check


NO_NATIONAL_SOURCE = "No national source exists"  # how a TableSpec's source says so
CADENCES = ("month", "quarter")


@dataclass(frozen=True)
class TableSpec:
    name: str
    title: str
    like: str  # the real data set this table mirrors
    description: str
    schema: pa.DataFrameSchema
    key: str  # the column that identifies a row
    date_column: str  # the column that places a row in a month and a financial year
    # Where a real extract would come from, in plain words, shown on every page that reads the table and in the data
    # dictionary: the national collection that holds it (starting NO_NATIONAL_SOURCE where none does, for the table
    # or some of its columns), and whether an analyst of an NHS England specialised commissioning hub can get it.
    source: str
    access: str
    provider_column: str | None = "provider_code"  # checked against the geography's providers; None: no provider
    area_column: str | None = None  # a column of commissioning area codes, checked against the geography's areas
    # The columns that identify a person or a record of their care (pseudonymised or not): read to count patients
    # and link rows, never published. A scheme reads one only if its analysis uses it (tests/unit/test_identifiers.py).
    identifiers: tuple[str, ...] = ()
    # Of those, the one that identifies the patient: NHS numbers only when the analyst says so (--nhs-numbers)
    patient_column: str | None = None
    # How often rows fall in the date column: every month ("month"), or once a quarter on its first day ("quarter"):
    # a year is whole when each of its months (quarters) holds rows (ivanalysis.data.coverage)
    cadence: str = "month"

    def __post_init__(self) -> None:
        if not (self.source.strip() and self.access.strip()):
            raise ValueError(f"table {self.name}: say where the data come from (source) and whether a hub analyst "
                             "can get them (access)")
        for check in self.schema.checks:
            if type(check) is pa.Check:
                check.__class__ = TableRule  # the same rule, checked by TableRuleBackend
        if self.cadence not in CADENCES:
            raise ValueError(f"table {self.name}: cadence must be one of {', '.join(CADENCES)}, not {self.cadence!r}")
        unknown = [c for c in self.identifiers if c not in self.schema.columns]
        if unknown or (self.patient_column is not None and self.patient_column not in self.identifiers):
            raise ValueError(f"table {self.name}: identifiers {self.identifiers} must be columns of its schema and "
                             f"include its patient column {self.patient_column!r}")

    @property
    def required(self) -> tuple[str, ...]:
        """The columns every extract of the table must hold, whatever schemes read it: its key, and the columns that
        place a row in time and at a provider or area (validation and the coverage checks read them). Every other
        column is needed only by the schemes that read it (their INPUT_COLUMNS): an extract may leave it out."""
        return tuple(dict.fromkeys(c for c in (self.key, self.date_column, self.provider_column, self.area_column)
                                   if c))

    def rules(self, nhs_numbers: bool = False, present: Iterable[str] | None = None) -> pa.DataFrameSchema:
        """The schema a table is validated against; with `nhs_numbers`, its patient column must also hold valid NHS
        numbers. Any pseudonymised identifier is accepted otherwise: no table needs NHS numbers.
        present: the columns the extract holds (None: all): the others' rules, and the rules across columns that
        read one of them, are left out (a column the extract lacks is checked by the scheme that needs it)."""
        if nhs_numbers and self.patient_column is None:
            raise ValueError(f"table {self.name} has no patient column to hold NHS numbers")
        present = frozenset(self.schema.columns if present is None else present) & set(self.schema.columns)
        key = (present, nhs_numbers and self.patient_column in present)
        if key not in self._rules:
            schema = self.schema
            absent = [c for c in schema.columns if c not in present]
            if absent:
                kept = [c for c in schema.checks if _reads_only(c, schema, present)]
                schema = schema.remove_columns(absent)
                schema.checks = kept
            if key[1]:
                column = schema.columns[self.patient_column]
                schema = schema.update_column(self.patient_column, checks=[*column.checks, NHS_NUMBER_VALID])
            self._rules[key] = schema
        return self._rules[key]

    @functools.cached_property
    def _rules(self) -> dict[tuple, pa.DataFrameSchema]:
        """rules() by the columns present and whether NHS numbers are checked: each schema is made once."""
        return {}


def _reads_only(check: pa.Check, schema: pa.DataFrameSchema, columns: frozenset[str]) -> bool:
    """Whether a rule across columns reads only `columns`: it is tried on a table of those columns holding one empty
    row (pandas skips the columns of an empty table in some operations, e.g. duplicated), where reading any other
    raises KeyError. Another error on that row says nothing of the columns: the rule is kept."""
    row = pd.DataFrame({c: pd.Series(dtype=schema.columns[c].dtype.type) for c in schema.columns if c in columns}
                       ).reindex([0])
    try:
        check._check_fn(row)
    except KeyError:
        return False
    except Exception:  # noqa: BLE001, S110 - any other failure comes from the empty row, not a missing column
        pass
    return True


class TableRule(pa.Check):
    """A rule across a table's columns (a DataFrameSchema check). TableSpec makes every such check one of these."""


class TableRuleBackend(PandasCheckBackend):
    """pandera lets a row pass a rule across columns when every cell of it is empty (ignore_na), and finds those rows by
    looking at every cell of the table, once per rule: with text columns (an object test per cell) that was a third of
    a large table's validation. The result is the same when only the rows that break the rule are looked at."""

    def postprocess_table_with_field_output(self, check_obj, check_output) -> CheckResult:
        if not (self.check.ignore_na and check_output.dtype == bool and check_obj.index.equals(check_output.index)):
            return super().postprocess_table_with_field_output(check_obj, check_output)
        passed = check_output.to_numpy(copy=True)
        broken = np.flatnonzero(~passed)
        if len(broken):
            passed[broken[check_obj.iloc[broken].isna().all(axis="columns").to_numpy()]] = True
            check_output = pd.Series(passed, index=check_output.index, name=check_output.name)
        return CheckResult(check_output, check_output.all(), check_obj,
                           self._get_series_failure_cases(check_obj, check_output))


TableRule.register_backend(pd.DataFrame, TableRuleBackend)

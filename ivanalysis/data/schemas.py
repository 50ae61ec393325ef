"""One pandera schema per input table, every column documented. The data dictionary page is generated from here.

A real extract must have the same table name (file `<name>.csv` or `<name>.parquet`) and these columns; extra
columns are allowed and ignored. Tables are shared: every scheme that reads a source reads the same table.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import pandera.pandas as pa
from pandera.engines.pandas_engine import DateTime

from ..config import CODE_PATTERN

EARLIEST = pd.Timestamp("2000-01-01")  # nothing in these data sets predates it; older dates are typing errors
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$"  # also refuses formula-like cells such as =HYPERLINK(...)


def nhs_number_is_valid(value: str) -> bool:
    """The NHS number check digit (modulus 11): weights 10..2 on the first nine digits."""
    if not isinstance(value, str) or len(value) != 10 or not value.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(value[:9], range(10, 1, -1)))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(value[9])


def _not_future(series: pd.Series) -> pd.Series:
    return (series >= EARLIEST) & (series <= pd.Timestamp.now().normalize() + pd.Timedelta(days=1))


DATE_IN_RANGE = pa.Check(_not_future, name="date_between_2000_and_today",
                         error="dates must lie between 2000-01-01 and today")
NHS_NUMBER_VALID = pa.Check(lambda s: s.map(nhs_number_is_valid), name="nhs_number_check_digit",
                            error="a 10-digit NHS number whose modulus 11 check digit is right")


def _code(description: str, *, unique: bool = False) -> pa.Column:
    return pa.Column(str, pa.Check.str_matches(ID_PATTERN), unique=unique, coerce=True, description=description)


def _provider() -> pa.Column:
    return pa.Column(str, pa.Check.str_matches(CODE_PATTERN), coerce=True,
                     description="Provider (trust) code; must be a provider of params/geography.yaml")


# ISO 8601 only: pandas would otherwise guess one format from the first cell, so a column mixing 2016-05-01 and
# 2016-05-01 13:00:00 failed as a whole (with no row to show), and 01/05/2016 could be read month-first.
ISO_DATETIME = DateTime(to_datetime_kwargs={"format": "ISO8601"})


def _positive_up_to(high: float) -> pa.Check:
    # pandera names this rule in_range(0, high) whether or not 0 is allowed: a dose of 0 needs the rule said in words
    return pa.Check.in_range(0, high, include_min=False, error=f"more than 0 and at most {high:g}")


def _date(description: str) -> pa.Column:
    return pa.Column(ISO_DATETIME, DATE_IN_RANGE, coerce=True, description=description)


@dataclass(frozen=True)
class TableSpec:
    name: str
    title: str
    like: str  # the real data set this table mirrors
    description: str
    schema: pa.DataFrameSchema
    key: str  # the column that identifies a row
    date_column: str  # the column that places a row in a month and a financial year
    provider_column: str = "provider_code"


IMMUNOGLOBULIN = TableSpec(
    name="immunoglobulin",
    title="Immunoglobulin treatment episodes",
    like="National Immunoglobulin Database (NID)",
    description="One row per immunoglobulin treatment episode (a course of one or more infusions) for any "
                "indication, with the patient's weight where it was recorded.",
    key="episode_id",
    date_column="treatment_date",
    schema=pa.DataFrameSchema(
        {
            "episode_id": _code("Identifier of the treatment episode", unique=True),
            "provider_code": _provider(),
            "nhs_number": pa.Column(str, NHS_NUMBER_VALID, coerce=True,
                                    description="Patient's NHS number (10 digits, valid check digit)"),
            "treatment_date": _date("Date the episode started"),
            "indication": pa.Column(str, pa.Check.isin(["ITP", "PID", "SID", "CIDP", "MMN", "GBS", "Myositis", "Other"]),
                                    coerce=True, description="Indication: ITP, PID, SID, CIDP, MMN, GBS, Myositis or Other"),
            "weight_kg": pa.Column(float, pa.Check.in_range(1, 300), nullable=True, coerce=True,
                                   description="Patient's weight in kg; empty when not recorded"),
            "dose_g": pa.Column(float, _positive_up_to(1000), coerce=True,
                                description="Total immunoglobulin given in the episode, grams (> 0)"),
        },
        strict=False,
        name="immunoglobulin",
    ),
)

CRITICAL_CARE = TableSpec(
    name="critical_care",
    title="Adult critical care discharges",
    like="ICNARC Case Mix Programme",
    description="One row per discharge from an adult critical care unit, with the time the patient was "
                "fully ready for discharge (the decision to discharge) and the time they left.",
    key="admission_id",
    date_column="discharged_at",
    schema=pa.DataFrameSchema(
        {
            "admission_id": _code("Identifier of the critical care admission", unique=True),
            "provider_code": _provider(),
            "ready_at": _date("Date and time the patient was fully ready for discharge (decision to discharge)"),
            "discharged_at": _date("Date and time the patient left the unit"),
            "destination": pa.Column(str, pa.Check.isin(["ward", "home", "other_hospital", "died"]), coerce=True,
                                     description="Where the patient went: ward, home, other_hospital or died"),
        },
        checks=[pa.Check(lambda df: df["discharged_at"] >= df["ready_at"], name="discharged_at >= ready_at",
                         error="a patient cannot leave before they are ready")],
        strict=False,
        name="critical_care",
    ),
)

RADIOTHERAPY = TableSpec(
    name="radiotherapy",
    title="Radiotherapy courses",
    like="Radiotherapy Data Set (RTDS)",
    description="One row per course of radiotherapy: diagnosis, intent, modality, prescribed dose and fractions.",
    key="course_id",
    date_column="start_date",
    schema=pa.DataFrameSchema(
        {
            "course_id": _code("Identifier of the radiotherapy course", unique=True),
            "provider_code": _provider(),
            "patient_id": _code("Pseudonymised patient identifier"),
            "start_date": _date("Date of the first fraction"),
            "diagnosis": pa.Column(str, pa.Check.str_matches(r"^[A-Z][0-9]{2}(\.?[0-9X])?$"), coerce=True,
                                   description="Primary diagnosis, ICD-10 code (C61 is prostate cancer)"),
            "intent": pa.Column(str, pa.Check.isin(["radical", "adjuvant", "palliative"]), coerce=True,
                                description="Treatment intent: radical, adjuvant or palliative"),
            "modality": pa.Column(str, pa.Check.isin(["external_beam", "brachytherapy"]), coerce=True,
                                  description="external_beam or brachytherapy"),
            "dose_gy": pa.Column(float, _positive_up_to(200), coerce=True,
                                 description="Total prescribed dose, Gray (> 0)"),
            "fractions": pa.Column(int, pa.Check.in_range(1, 60), coerce=True,
                                   description="Number of fractions prescribed (1 to 60)"),
        },
        strict=False,
        name="radiotherapy",
    ),
)

TABLES: dict[str, TableSpec] = {t.name: t for t in (IMMUNOGLOBULIN, CRITICAL_CARE, RADIOTHERAPY)}

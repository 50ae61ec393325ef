"""How numbers read on a page: percentages, counts, headline money, table money and axis ticks."""
from __future__ import annotations

import math

import pytest

from ivanalysis.report.fmt import axis, by_unit, gbp, gbp_table, number, pct

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("value, digits, text", [
    (0.5493, 1, "54.9%"),
    (0.5, 0, "50%"),
    (0.3, 1, "30.0%"),
    (1.0, 1, "100.0%"),
    (0.0, 1, "0.0%"),
    (0.12345, 2, "12.35%"),
])
def test_pct(value, digits, text):
    assert pct(value, digits) == text


@pytest.mark.parametrize("value, digits, text", [
    (1234.567, 0, "1,235"),
    (1234.567, 1, "1,234.6"),
    (80251, 0, "80,251"),
    (0, 0, "0"),
    (-1500, 0, "-1,500"),
])
def test_number(value, digits, text):
    assert number(value, digits) == text


@pytest.mark.parametrize("value, text", [
    (5_809_515, "£5.8 million"),
    (1_000_000, "£1 million"),  # '1.0' loses its '.0'
    (25_000_000, "£25 million"),
    (854_158, "£854,000"),
    (12_345, "£12,300"),
    (1_000, "£1,000"),
    (950, "£950"),
    (0, "£0"),
    (-12_345, "-£12,300"),
    (-5_809_515, "-£5.8 million"),
])
def test_gbp(value, text):
    assert gbp(value) == text


def test_gbp_just_under_a_million_reads_as_a_million():
    assert gbp(999_999) == "£1 million"


@pytest.mark.parametrize("value, text", [
    (5_809_515, "£5,809,500"),
    (854_158, "£854,200"),
    (12_345, "£12,300"),
    (950, "£1,000"),  # nearest £100
    (49, "£0"),
    (0, "£0"),
])
def test_gbp_table_rounds_to_the_nearest_100(value, text):
    assert gbp_table(value) == text


def test_gbp_table_negative_sign_matches_gbp():
    assert gbp_table(-12_345) == "-£12,300"


@pytest.mark.parametrize("missing", [None, math.nan])
def test_missing_values(missing):
    assert pct(missing) == "n/a"
    assert number(missing) == "n/a"
    assert gbp(missing) == "n/a"
    assert gbp_table(missing) == ""


@pytest.mark.parametrize("value, kind, text", [
    (0.25, "percent", "25%"),
    (0.125, "percent", "12.5%"),
    (0.0, "percent", "0%"),
    (1_500_000, "gbp", "£1.5m"),
    (2_000_000, "gbp", "£2m"),
    (-1_500_000, "gbp", "-£1.5m"),
    (250_000, "gbp", "£250,000"),
    (1200, "number", "1,200"),
    (3, "number", "3"),
    (2.5, "number", "2.5"),
    (0.125, "number", "0.125"),
])
def test_axis(value, kind, text):
    assert axis(value, kind) == text


def test_axis_refuses_an_unknown_kind():
    with pytest.raises(ValueError, match="kind must be"):
        axis(1.0, "euros")


@pytest.mark.parametrize("value, unit, text", [
    (0.8, "share", "80.0%"),
    (5_809_515, "gbp", "£5.8 million"),
    (12.34, "fractions", "12.3"),  # one decimal below 100
    (1234.7, "fractions", "1,235"),
    (1.234, "ratio", "1.23"),
    (42.4, "unheard_of_unit", "42"),  # a unit of its own counts people or events (sdc.is_quantity_unit): whole
    (29.37, "admissions", "29"),  # a modelled quantity: whole from 10 (fmt.quantity) ...
    (2.937, "admissions", "2.9"),  # ... one decimal below
    (42.4, "points_per_patient", "42.4"),  # a rate: up to 2 decimals
    (1234.7, "ddd_per_1000_bed_days", "1,235"),
    (0.5, "pa_per_week", "0.5"),
])
def test_by_unit(value, unit, text):
    assert by_unit(value, unit) == text


@pytest.mark.parametrize("value, text", [
    (lambda: pct(-0.0001), "0.0%"), (lambda: pct(-0.0), "0.0%"), (lambda: pct(-0.001), "-0.1%"),
    (lambda: number(-0.3), "0"), (lambda: number(-0.04, 1), "0.0"), (lambda: gbp(-0.3), "£0"),
    (lambda: axis(-0.0, "number"), "0"), (lambda: axis(-0.0001, "percent"), "0%"),
    (lambda: by_unit(-0.001, "x_per_y"), "0"),
    (lambda: by_unit(-0.0, "gbp_per_day"), "£0"), (lambda: by_unit(-0.0004, "share"), "0.0%"),
])
def test_a_figure_that_rounds_to_nothing_has_no_sign(value, text):
    assert value() == text

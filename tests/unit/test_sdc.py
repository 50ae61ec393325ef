"""Disclosure control: 0 stays 0, 1-7 shows as '*', larger counts round to the nearest 5 (DESIGN.md)."""
from __future__ import annotations

import math

import pandas as pd
import pytest

from ivanalysis.sdc import SUPPRESSED, control_count, control_rate_allowed, control_series

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("count, shown", [
    (0, 0),
    (1, "*"), (2, "*"), (5, "*"), (7, "*"),
    (8, 10),  # 8 / 5 = 1.6 -> 2 fives
    (12, 10),  # 2.4 -> 2
    (13, 15),  # 2.6 -> 3
    (10, 10),
    (1002, 1000),  # 200.4 -> 200
    (1003, 1005),  # 200.6 -> 201
    (1002.5, 1005),  # 200.5: halves round up
    (17.5, 20),  # 3.5 -> 4
    (0.4, "*"),  # a modelled fraction of a person is still small
    (7.0, "*"),
])
def test_control_count(count, shown):
    assert control_count(count) == shown


def test_suppressed_marker_is_a_star():
    assert SUPPRESSED == "*"


@pytest.mark.parametrize("count", [-1, -0.5, -100])
def test_control_count_refuses_a_negative_count(count):
    with pytest.raises(ValueError, match="negative"):
        control_count(count)


@pytest.mark.parametrize("missing", [None, math.nan])
def test_control_count_of_a_missing_value_is_blank(missing):
    assert control_count(missing) == ""


@pytest.mark.parametrize("numerator, denominator, allowed", [
    (50, 100, True),
    (0, 100, True),  # 0 of 100 gives nothing away
    (100, 100, True),  # complement 0
    (5, 100, False),  # numerator 1-7
    (7, 100, False),
    (8, 100, True),
    (5, 5, False),  # denominator small
    (10, 15, False),  # complement 5 is small: it gives away the 5 who were not counted
    (93, 100, False),  # complement 7
    (92, 100, True),  # complement 8
    (10, 20, True),
])
def test_control_rate_allowed(numerator, denominator, allowed):
    assert control_rate_allowed(numerator, denominator) is allowed


def test_control_series_keeps_the_index_and_controls_each_count():
    counts = pd.Series([0, 3, 12, 13, 1003], index=["A", "B", "C", "D", "E"])
    shown = control_series(counts)
    assert shown.dtype == object
    assert list(shown.index) == ["A", "B", "C", "D", "E"]
    assert shown.tolist() == [0, "*", 10, 15, 1005]


def test_control_series_total_is_rounded_from_unrounded_values():
    # the rule of the book: the total is the sum of the raw counts, then rounded (not the sum of rounded counts)
    counts = pd.Series([12, 12, 12])  # each shows as 10; the total 36 shows as 35, not 30
    assert control_series(counts).tolist() == [10, 10, 10]
    assert control_count(counts.sum()) == 35


def test_csv_cells_that_a_spreadsheet_would_run_are_made_inert():
    import pandas as pd

    from ivanalysis.report.tables import csv_text

    df = pd.DataFrame({"a": ['=HYPERLINK("http://x","y")', "+1", "@SUM(A1)", "-£1,200", "-5", "-cmd", "plain", "*"]})
    import csv
    import io

    cells = [row[0] for row in csv.reader(io.StringIO(csv_text(df)))][1:]
    assert cells == ["'=HYPERLINK(\"http://x\",\"y\")", "'+1", "'@SUM(A1)", "-£1,200", "-5", "'-cmd", "plain", "*"]


def test_control_frame_hand_checked():
    """0 stays 0, 3 is suppressed (null and flagged), 12 -> 10, 13 -> 15; a rate on a small count is suppressed with
    it; text passes through; the figures stay numbers."""
    from ivanalysis.sdc import control_frame

    frame = pd.DataFrame({"Provider": ["A", "B", "C", "D"], "Patients": [0, 3, 12, 13], "Treated": [0, 2, 6, 10],
                          "Share treated": [math.nan, 2 / 3, 0.5, 10 / 13]})
    values, suppressed = control_frame(frame, counts=("Patients", "Treated"),
                                       rates={"Share treated": ("Treated", "Patients")})
    assert values["Patients"].tolist() == [0, pd.NA, 10, 15] and values["Patients"].dtype == "Int64"
    assert values["Treated"].tolist() == [0, pd.NA, pd.NA, 10]
    assert suppressed["Patients"].tolist() == [False, True, False, False]
    assert suppressed["Treated"].tolist() == [False, True, True, False]
    # B: 2 of 3; C: 6 treated is small; D: 10 of 13 leaves 3 untreated (small); A: 0 of 0 gives nothing away
    assert suppressed["Share treated"].tolist() == [False, True, True, True]
    assert values["Share treated"].isna().tolist() == [True, True, True, True]
    assert values["Provider"].tolist() == ["A", "B", "C", "D"] and not suppressed["Provider"].any()


def test_control_frame_agrees_with_control_count():
    from ivanalysis.sdc import control_frame

    counts = pd.Series([0, 0.4, 1, 7, 7.0, 8, 12, 13, 17.5, 1002, 1002.5, 1003])
    values, suppressed = control_frame(pd.DataFrame({"n": counts}), counts=("n",))
    expected = control_series(counts).tolist()
    assert [SUPPRESSED if s else v for v, s in zip(values["n"], suppressed["n"])] == expected


def test_control_frame_for_england_changes_nothing():
    from ivanalysis.sdc import control_frame

    frame = pd.DataFrame({"Patients": [0, 3, 12, 13], "Treated": [0, 2, 6, 10], "Share": [0.0, 2 / 3, 0.5, 10 / 13]})
    values, suppressed = control_frame(frame, counts=("Patients", "Treated"), rates={"Share": ("Treated", "Patients")},
                                       controlled=False)
    pd.testing.assert_frame_equal(values, frame)
    assert not suppressed.to_numpy().any()
    assert values is not frame  # a copy: the analysis's frame is never changed


def test_control_frame_keeps_missing_counts_missing_and_refuses_negative_ones():
    from ivanalysis.sdc import control_frame

    values, suppressed = control_frame(pd.DataFrame({"n": [math.nan, 20.0]}), counts=("n",))
    assert values["n"].tolist() == [pd.NA, 20] and suppressed["n"].tolist() == [False, False]
    with pytest.raises(ValueError, match="negative.*'n'"):
        control_frame(pd.DataFrame({"n": [5, -1]}), counts=("n",))


def test_money_beside_a_suppressed_count_is_suppressed_with_it():
    """The issue's EOE-P02: 15 patient-quarters, 4 approved (suppressed), £83,900 spend of which £62,900 unapproved
    gives 15 x (1 - 62.9/83.9) = 3.75, about 4 approved: the money in that row goes with the count. A price is
    independent of the row's count and stays; rows without a suppressed count keep their money."""
    from ivanalysis.results import Table

    frame = pd.DataFrame({"Provider": ["EOE-P02", "EOE-P03"], "Patient-quarters": [15, 40], "Approved": [4, 30],
                          "Spend": [83_900.0, 200_000.0], "Unapproved spend": [62_900.0, 50_000.0],
                          "Price per pack": [1_250.0, 1_250.0]})
    table = Table("t", frame, counts=("Patient-quarters", "Approved"), money=("Spend", "Unapproved spend"),
                  numbers=("Price per pack",), independent=("Price per pack",))
    values, suppressed = table.control(below_england=True)
    assert suppressed.loc[0, ["Approved", "Spend", "Unapproved spend"]].tolist() == [True, True, True]
    assert values.loc[0, ["Spend", "Unapproved spend"]].isna().all()
    assert values.loc[0, "Patient-quarters"] == 15 and values.loc[0, "Price per pack"] == 1_250.0
    assert values.loc[1, ["Spend", "Unapproved spend"]].tolist() == [200_000.0, 50_000.0]
    assert not suppressed.loc[1].any()


def test_provider_rows_are_controlled_on_englands_page_too():
    """A provider's 6 patients are sub-national on any page: '*' on England's page as on its hub's. A table whose rows
    each describe the whole area (England by year) is exact on England's page and controlled below it."""
    from ivanalysis.results import Table

    providers = Table("p", pd.DataFrame({"Provider": ["EOE-P02"], "Patients": [6]}), counts=("Patients",))
    by_year = Table("y", pd.DataFrame({"Year": ["2017/18"], "Patients": [6]}), counts=("Patients",),
                    rows_are_the_area=True)
    assert providers.control(below_england=False).suppressed["Patients"].tolist() == [True]
    assert by_year.control(below_england=False).values["Patients"].tolist() == [6]
    assert by_year.control(below_england=True).suppressed["Patients"].tolist() == [True]


def test_a_table_refuses_a_declared_column_it_does_not_have():
    from ivanalysis.results import Table

    with pytest.raises(ValueError, match="no column.*Spend"):
        Table("t", pd.DataFrame({"Patients": [6]}), counts=("Patients", "Spend"))


@pytest.mark.parametrize(("value", "expected"), [(0, 0), (0.5, "*"), (1.5, "*"), (7, "*"), (8, 10), (11.0, 10),
                                                 (12.5, 15), (-12.5, -15), (-3, "*")])
def test_a_modelled_quantity_is_controlled_as_a_count(value, expected):
    """0.5 / 1.0 / 1.5 patients switched at a hub with 2 patients: '*' in every scenario, never a fraction of a
    person that multiplies back to the count; a quantity that grows is controlled by its size."""
    from ivanalysis.sdc import control_quantity

    assert control_quantity(value) == expected


def test_which_units_count_people_or_events():
    from ivanalysis.sdc import is_quantity_unit

    assert all(is_quantity_unit(u) for u in ("patients", "days", "count", "grams", "cot days", "fractions"))
    assert not any(is_quantity_unit(u) for u in ("gbp", "share", "ratio", "hours", "gbp_per_day", "days_per_course"))
    # capacity worked out from a count controlled in its own right (beds from bed days), or from population
    assert not any(is_quantity_unit(u) for u in ("beds", "linac days", "networks"))


def _area(quantities, pounds):
    from ivanalysis.sdc import AreaOpportunity

    return AreaOpportunity(tuple(quantities), pounds)


def test_a_small_area_is_withheld_with_the_area_of_fewest_pounds_that_can_complement_it():
    """Hubs A (3 patients switched: '*'), B (20, £50k), C (12, £30k) and D (40, £100k): A is withheld as small,
    and C, the area with the fewest pounds that can complement it, with it. England less B and D gives A + C = 15,
    of which no part can be told."""
    from ivanalysis.sdc import WITHHELD_COMPLEMENT, WITHHELD_SMALL, withholding

    areas = {"A": _area([3], 9_000), "B": _area([20], 50_000), "C": _area([12], 30_000),
             "D": _area([40], 100_000)}
    assert withholding(areas) == {"A": WITHHELD_SMALL, "C": WITHHELD_COMPLEMENT}


def test_no_withheld_area_no_complement():
    from ivanalysis.sdc import withholding

    assert withholding({"A": _area([10, 20], 5), "B": _area([0], 0)}) == {}


def test_an_area_with_a_quantity_of_0_or_small_cannot_complement():
    """E has the fewest pounds but 0 in the low scenario: withheld with LON, it would leave LON's low figure as
    England's less the others'; G, the next fewest, is withheld instead."""
    from ivanalysis.sdc import WITHHELD_COMPLEMENT, WITHHELD_SMALL, withholding

    areas = {"LON": _area([0.5, 1, 1.5], 2_000), "E": _area([0, 10, 20], 1_000),
             "F": _area([10, 20, 30], 60_000), "G": _area([30, 60, 90], 40_000)}
    assert withholding(areas) == {"LON": WITHHELD_SMALL, "G": WITHHELD_COMPLEMENT}


def test_two_small_areas_still_need_a_complement():
    """Two small areas (3 and 4) withheld together would give their sum (7, itself small) from England's figure:
    the smallest area that can complement them is withheld as well; with none, every area is."""
    from ivanalysis.sdc import WITHHELD_COMPLEMENT, WITHHELD_SMALL, withholding

    areas = {"A": _area([3], 1), "B": _area([4], 1), "C": _area([50], 9), "D": _area([25], 8)}
    assert withholding(areas) == {"A": WITHHELD_SMALL, "B": WITHHELD_SMALL, "D": WITHHELD_COMPLEMENT}
    every = {"A": _area([3], 1), "B": _area([0], 0)}
    assert withholding(every) == {"A": WITHHELD_SMALL, "B": WITHHELD_COMPLEMENT}

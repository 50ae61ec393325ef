"""A page's tables as data (report/table_data.py): the same disclosure-controlled figures as the page, as numbers,
units in the headers, suppressed cells empty and flagged; and the page's HTML made from the same controlled data."""
from __future__ import annotations

import csv
import io
import math

import pandas as pd
import pytest

from ivanalysis.report.table_data import FLAG, read_table, run_tables, table_data, table_stem, write_table
from ivanalysis.report.tables import display_frame, render
from ivanalysis.results import Table

pytestmark = pytest.mark.unit


def providers() -> Table:
    """Four providers with hand-checked figures: B has 3 episodes (suppressed), and so its share and its saving
    (secondary suppression); C's 6 of 12 at 1 g/kg is small, so its share and saving go too. A cost per DDD says
    nothing of a provider's count: declared independent, it stays."""
    frame = pd.DataFrame({
        "Provider": ["A", "B", "C", "=cmd"],
        "Episodes": [256, 3, 12, 0],
        "At 1 g/kg": [108, 1, 6, 0],
        "Share at 1 g/kg": [108 / 256, 1 / 3, 0.5, math.nan],
        "Saving (moderate)": [242_216.75, 2_849.99, -1_250.0, 0.0],
        "Cost per DDD (£)": [345.1638, 12.35, math.nan, 0.04],
    })
    return Table("Providers of London", frame, counts=("Episodes", "At 1 g/kg"),
                 rates={"Share at 1 g/kg": ("At 1 g/kg", "Episodes")}, money=("Saving (moderate)",),
                 numbers=("Cost per DDD (£)",), hidden=("At 1 g/kg",), independent=("Cost per DDD (£)",))


def test_the_data_hold_the_pages_figures_as_numbers_with_units_in_the_headers():
    data = table_data(providers(), controlled=True, synthetic=True)
    assert list(data.frame.columns) == [
        "Provider", "Episodes (count)", "Share at 1 g/kg (%)", "Saving (moderate) (GBP)", "Cost per DDD (GBP)",
        "Episodes (count)" + FLAG, "Share at 1 g/kg (%)" + FLAG, "Saving (moderate) (GBP)" + FLAG]
    assert data.kinds == {"Provider": "text", "Episodes (count)": "count", "Share at 1 g/kg (%)": "rate",
                          "Saving (moderate) (GBP)": "money", "Cost per DDD (GBP)": "number"}
    f = data.frame
    # 256 -> 255, 3 -> suppressed, 12 -> 10, 0 stays 0
    assert f["Episodes (count)"].tolist() == [255, pd.NA, 10, 0] and f["Episodes (count)"].dtype == "Int64"
    assert f["Episodes (count)" + FLAG].tolist() == [False, True, False, False]
    # 108/256 = 42.1875% -> 42.2; B's share gives its 1 of 3 away; C's 6 of 12 too (6 is small); D's is missing
    assert f["Share at 1 g/kg (%)"].tolist()[0] == 42.2
    assert f["Share at 1 g/kg (%)" + FLAG].tolist() == [False, True, True, False]
    assert f["Share at 1 g/kg (%)"].isna().tolist() == [False, True, True, True]
    # money to the nearest £100, other figures to one decimal, as the page shows them
    assert f["Saving (moderate) (GBP)"].tolist() == [242_200, pd.NA, pd.NA, 0]
    assert f["Saving (moderate) (GBP)" + FLAG].tolist() == [False, True, True, False]
    assert f["Cost per DDD (GBP)"].fillna(-1).tolist() == [345.2, 12.3, -1, 0.0]
    assert str(f["Cost per DDD (GBP)"].tolist()[3]) == "0.0"  # never -0.0


def test_the_page_shows_the_same_figures():
    table = providers()
    shown = display_frame(table, controlled=True)
    assert shown.to_dict("records") == [
        {"Provider": "A", "Episodes": "255", "Share at 1 g/kg": "42.2%", "Saving (moderate)": "£242,200",
         "Cost per DDD (£)": "345.2"},
        {"Provider": "B", "Episodes": "*", "Share at 1 g/kg": "*", "Saving (moderate)": "*",
         "Cost per DDD (£)": "12.3"},
        {"Provider": "C", "Episodes": "10", "Share at 1 g/kg": "*", "Saving (moderate)": "*",
         "Cost per DDD (£)": "n/a"},
        {"Provider": "=cmd", "Episodes": "0", "Share at 1 g/kg": "n/a", "Saving (moderate)": "£0",
         "Cost per DDD (£)": "0.0"}]
    html = render(table, controlled=True)
    # the rule is a sentence of its own, never run into the caption; its last words never part when it wraps
    assert ("<caption>Providers of London. Counts of 1 to 7 are shown as *, others rounded to the "
            "nearest\u00a05.</caption>") in html
    assert '<tr><th scope="row">B</th><td class="num count">*</td><td class="num">*</td><td class="num">*</td>' \
        '<td class="num">12.3</td></tr>' in html


def test_england_is_not_controlled_but_shown_at_the_pages_precision():
    """A table whose rows each describe England (by year, by drug) is exact on England's page."""
    table = providers()
    frame = table.frame.assign(Episodes=[256.4, 3, 12, 0])
    data = table_data(Table(table.caption, frame, table.counts, table.rates, table.money, table.numbers, table.hidden,
                            rows_are_the_area=True),
                      controlled=False, synthetic=False)
    assert data.frame["Episodes (count)"].tolist() == [256, 3, 12, 0]
    assert not data.frame["Episodes (count)" + FLAG].any() and not data.frame["Share at 1 g/kg (%)" + FLAG].any()
    assert data.frame["Share at 1 g/kg (%)"].tolist()[:3] == [42.2, 33.3, 50.0]
    assert "England as a whole" in data.note and "SYNTHETIC" not in data.note


def test_provider_rows_are_controlled_on_englands_page():
    """A provider's 3 episodes are sub-national on England's page as on its hub's: the same '*' in the data."""
    data = table_data(providers(), controlled=False, synthetic=False)
    assert data.controlled and data.frame["Episodes (count)"].tolist() == [255, pd.NA, 10, 0]
    assert "Disclosure control" in data.note


def test_csv_a_note_line_then_numbers_and_inert_text(tmp_path):
    data = table_data(providers(), controlled=True, synthetic=True)
    paths = write_table(tmp_path, table_stem("immunoglobulin_itp", "LON", "providers"), data)
    assert [p.name for p in paths] == ["immunoglobulin_itp_LON_providers.parquet",
                                       "immunoglobulin_itp_LON_providers.csv"]
    raw = paths[1].read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # a spreadsheet reads it as UTF-8
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert len(rows[0]) == 1 and rows[0][0].startswith("# Providers of London. SYNTHETIC DATA")
    assert "counts of 1 to 7 are suppressed" in rows[0][0]
    assert rows[1][:5] == ["Provider", "Episodes (count)", "Share at 1 g/kg (%)", "Saving (moderate) (GBP)",
                           "Cost per DDD (GBP)"]
    assert rows[2] == ["A", "255", "42.2", "242200", "345.2", "False", "False", "False"]
    assert rows[3] == ["B", "", "", "", "12.3", "True", "True", "True"]
    assert rows[5][0] == "'=cmd"  # formula-injection protection for text cells
    # as an analyst reads it: numbers are numbers
    df = pd.read_csv(paths[1], skiprows=1)
    assert df["Episodes (count)"].tolist()[0] == 255 and df["Saving (moderate) (GBP)"].dtype.kind == "f"  # with blanks
    assert df["Share at 1 g/kg (%)"].dtype.kind == "f" and df["Episodes (count)" + FLAG].dtype == bool


def test_parquet_round_trip_with_the_mask_and_kinds(tmp_path):
    data = table_data(providers(), controlled=True, synthetic=True)
    write_table(tmp_path, "s_LON_providers", data)
    back = read_table(tmp_path / "s_LON_providers.parquet")
    pd.testing.assert_frame_equal(back.frame, data.frame)
    assert back.kinds == data.kinds and back.synthetic and back.controlled and back.caption == data.caption
    assert back.suppressed("Episodes (count)").tolist() == [False, True, False, False]
    assert not back.suppressed("Provider").any()
    assert back.frame["Provider"].tolist()[3] == "=cmd"  # Parquet keeps text as it is


def test_the_same_table_gives_the_same_bytes(tmp_path):
    data = table_data(providers(), controlled=True, synthetic=True)
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir(), b.mkdir()
    for one, two in zip(write_table(a, "t", data), write_table(b, "t", data)):
        assert one.read_bytes() == two.read_bytes()


def test_a_runs_tables_by_key(tmp_path):
    data = table_data(providers(), controlled=True, synthetic=False)
    for key in ("providers", "by_year"):
        write_table(tmp_path, table_stem("where_to_look", "LON", key), data)
    (tmp_path / "LON.ipynb").write_text("{}")
    assert list(run_tables(tmp_path, "where_to_look", "LON")) == ["by_year", "providers"]
    assert [p.name for p in run_tables(tmp_path, "where_to_look", "LON", ".csv").values()] == [
        "where_to_look_LON_by_year.csv", "where_to_look_LON_providers.csv"]
    assert run_tables(tmp_path, "where_to", "LON") == {}

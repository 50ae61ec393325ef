"""Where each page's data come from, and the Menu's KPIs it does not measure: every input table names its national
collection and whether a hub analyst can get it (with its schema), every scheme lists the Menu KPIs it does not
compute (params/schemes/<id>.yaml, not_measured), and the page shows both, escaped."""
from __future__ import annotations

import copy
import html

import pandera.pandas as pa
import pytest
import yaml

from ivanalysis.config import load_scheme_params
from ivanalysis.data.schemas import TABLES, TableSpec
from ivanalysis.data.schemas.base import NO_NATIONAL_SOURCE
from ivanalysis.errors import ConfigError
from ivanalysis.page.sources import NOTHING_LEFT_OUT, data_sources_html
from ivanalysis.paths import PARAMS_DIR
from ivanalysis.schemes import registry

pytestmark = pytest.mark.unit

SCHEMES = [s.id for s in registry.implemented()]
NASTY = '<script>alert("x")</script> [click](http://evil.example) **loud**'


# --- the tables ------------------------------------------------------------------------------------------------------
def test_every_table_says_where_it_comes_from_and_whether_a_hub_analyst_can_get_it():
    for name, spec in TABLES.items():
        assert len(spec.source) > 20 and len(spec.access) > 10, name
        assert spec.access.split(":")[0].split(" ")[0] in ("Yes", "Partly", "No"), name


@pytest.mark.parametrize("name", ["biologics_referrals", "esc_services", "patient_activation", "rheumatology_patients",
                                  "spinal_surgery", "utilisation_reviews"])
def test_tables_no_national_collection_holds_say_so_plainly(name):
    assert TABLES[name].source.startswith(NO_NATIONAL_SOURCE)


def test_the_sact_flags_no_national_source_holds_are_named():
    source = TABLES["sact"].source
    assert f"{NO_NATIONAL_SOURCE} for the dose-banding, standard-product and waste columns" in source


@pytest.mark.parametrize("field", ["source", "access"])
def test_a_table_that_does_not_say_where_it_comes_from_is_refused(field):
    fields = {"name": "t", "title": "T", "like": "a data set", "description": "test only", "key": "row_id",
              "date_column": "month", "source": "A national collection", "access": "Yes: published",
              "provider_column": None, "schema": pa.DataFrameSchema({"row_id": pa.Column(str)})}
    with pytest.raises(ValueError, match="say where the data come from"):
        TableSpec(**{**fields, field: "  "})


def test_the_data_dictionary_gives_each_tables_collection_and_access():
    from ivanalysis.pipeline.book import data_dictionary
    from ivanalysis.report.fmt import md_escape

    page = data_dictionary()
    for name, spec in TABLES.items():
        section = page.split(f"## `{name}`:", 1)[1].split("\n## ", 1)[0]
        assert f"National collection: {md_escape(spec.source)}" in section
        assert f"Can a hub analyst get it? {md_escape(spec.access)}" in section


# --- not_measured in params/schemes/<id>.yaml ------------------------------------------------------------------------
ITEM = {"kpi": "Use of diagnostics and their turnaround", "source": "No national source exists: laboratory systems",
        "why": "Pharmacy issues do not say who was tested."}


def write_params(tmp_path, not_measured):
    data = yaml.safe_load((PARAMS_DIR / "schemes" / "antifungal_stewardship.yaml").read_text("utf-8"))
    data["not_measured"] = not_measured
    folder = tmp_path / "schemes"
    folder.mkdir(exist_ok=True)
    (folder / "antifungal_stewardship.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def test_not_measured_loads_in_order(tmp_path):
    other = {**ITEM, "kpi": "Review of the guidelines against the general principles"}
    write_params(tmp_path, [ITEM, other])
    params = load_scheme_params("antifungal_stewardship", params_dir=tmp_path)
    assert [m.kpi for m in params.not_measured] == [ITEM["kpi"], other["kpi"]]
    assert params.not_measured[0].why == ITEM["why"]


def _edited(**changes):
    item = copy.deepcopy(ITEM)
    for key, value in changes.items():
        if value is None:
            del item[key]
        else:
            item[key] = value
    return [item]


BAD = [
    pytest.param(_edited(why=None), ["not_measured.0.why", "Field required"], id="missing-why"),
    pytest.param(_edited(source="HES"), ["not_measured.0.source", "at least 10 characters"], id="source-too-short"),
    pytest.param(_edited(sorce="a national collection"), ["not_measured.0.sorce", "unknown key"], id="unknown-key"),
    pytest.param(_edited(kpi=["a list", "not text"]), ["not_measured.0.kpi"], id="kpi-not-text"),
    pytest.param([ITEM, ITEM], ["not_measured", "listed more than once", ITEM["kpi"]], id="kpi-twice"),
    pytest.param(ITEM["kpi"], ["not_measured"], id="not-a-list"),
]


@pytest.mark.parametrize("not_measured, words", BAD)
def test_a_malformed_not_measured_entry_is_refused(tmp_path, not_measured, words):
    write_params(tmp_path, not_measured)
    with pytest.raises(ConfigError) as info:
        load_scheme_params("antifungal_stewardship", params_dir=tmp_path)
    for word in words:
        assert word in str(info.value)


# --- the page section ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("scheme_id", SCHEMES)
def test_each_pages_section_lists_its_tables_with_their_source_and_its_kpis_not_measured(scheme_id):
    tables, params = registry.input_tables(scheme_id), registry.params(scheme_id)
    out = data_sources_html(scheme_id, tables, params.not_measured)
    for name in tables:
        spec = TABLES[name]
        assert f"({name})" in out and html.escape(spec.source) in out and html.escape(spec.access) in out
    if params.not_measured:
        assert "Not measured here" in out and NOTHING_LEFT_OUT not in out
        for m in params.not_measured:
            assert all(html.escape(text) in out for text in (m.kpi, m.source, m.why))
    else:
        assert NOTHING_LEFT_OUT in out and "Not measured here" not in out


def test_the_section_shows_text_from_the_parameters_as_its_characters(monkeypatch):
    from ivanalysis.config import NotMeasured
    from ivanalysis.page import scheme_page as page_mod

    shown = []
    monkeypatch.setattr(page_mod, "display", lambda obj: shown.append(obj))
    params = registry.params("antifungal_stewardship")
    params = params.model_copy(update={"not_measured": (NotMeasured(kpi=NASTY, source=NASTY, why=NASTY),)})

    class Result:  # the little of a SchemeResult that the section reads
        scheme = registry.get("antifungal_stewardship")

    Result.params = params
    page_mod.SchemePage(Result(), "moderate", None, None, {}, {}).data_sources()
    text = shown[0].data
    assert "<script>" not in text and "**loud**" in text  # Markdown is not read in HTML: left as it is
    assert text.count(html.escape(NASTY)) == 3


# --- every Menu KPI is computed or listed ----------------------------------------------------------------------------
def test_every_scheme_has_its_menu_chapter_read():
    from menu_kpis import MENU

    assert sorted(MENU) == sorted(SCHEMES)


@pytest.mark.parametrize("scheme_id", SCHEMES)
def test_the_menu_kpis_a_page_does_not_compute_are_exactly_those_it_lists(scheme_id):
    from menu_kpis import MENU, NOT

    listed = [m.kpi for m in registry.params(scheme_id).not_measured]
    assert sorted(listed) == sorted(label for label, where in MENU[scheme_id] if where == NOT)


def test_the_data_folders_readme_lists_every_table():
    """data/README.md names every input table, with the collection it mirrors (it named 3 of 19)."""
    from ivanalysis.data.schemas import TABLES
    from ivanalysis.paths import ROOT

    text = (ROOT / "data" / "README.md").read_text(encoding="utf-8")
    assert all(f"| `{name}` | {spec.like} |" in text for name, spec in TABLES.items())

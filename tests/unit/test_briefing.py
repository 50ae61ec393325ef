"""A book a commissioner can act on: the hub pack as a briefing (a summary first: what the hub could save, in which
year, how sure, what to do first), the hub per 100,000 people against England and the other hubs, the Menu's levers
(params/levers.yaml) beside the KPIs to monitor; scheme chapters with the year, the target and a chart of the hubs
per head beside England; the glossary and the sources linked from the landing page and the methods page."""
from __future__ import annotations

import io
import re

import pytest
from PIL import Image

from ivanalysis.catalogue import BY_ID, CATALOGUE
from ivanalysis.config import SchemeLevers, load_levers
from ivanalysis.errors import ConfigError
from ivanalysis.geography import Area, load_geography
from ivanalysis.paths import BOOK_SRC_DIR
from ivanalysis.pipeline import book
from ivanalysis.pipeline.runs_view import RunView
from ivanalysis.report.fmt import md_escape
from ivanalysis.results import (
    ComponentRecord,
    DataCoverage,
    KpiRecord,
    MeasureRecord,
    Provenance,
    RunParameters,
    RunResult,
    ScenarioValues,
)
from ivanalysis.results.record import identity
from ivanalysis.schemes import registry

pytestmark = pytest.mark.unit

# round populations, so that each figure per 100,000 people is checked by hand
LON = Area("LON", "London", "hub", "LDN", 10_000_000, ("LON-P01", "LON-P02"), ("LON",))
NW = Area("NW", "North West", "hub", "NOR", 5_000_000, ("NW-P01",), ("NW",))
EM = Area("EM", "East Midlands", "hub", "MID", 5_000_000, ("EM-P01",), ("EM",))
ENG = Area("ENG", "England", "england", None, 50_000_000, ("LON-P01", "LON-P02", "NW-P01", "EM-P01"),
           ("LON", "NW", "EM"))
ITP_KPI = {"name": "Episodes at 1 g/kg or less", "value": 0.495, "target": 0.8, "unit": "share",
           "higher_is_better": True, "met": False, "note": "the Menu's 80%"}
SHARE = {"name": "Share", "value": 0.5, "target": None, "unit": "share", "higher_is_better": None, "met": None,
         "note": ""}
MENU_URLS = ("https://www.england.nhs.uk/publication/making-data-count/", "https://www.england.nhs.uk/rightcare/",
             "https://model.nhs.uk/", "https://nhsrcommunity.com/",
             "https://github.com/nhs-r-community/NHSRplotthedots", "https://chrismainey.github.io/FunnelPlotR/")


NONE = ScenarioValues(low=0, moderate=0, high=0)


def _result(scheme: str, area: Area, component: ComponentRecord, kpi: dict, beyond_chance: bool) -> RunResult:
    """An analysed run of 2017/18 with one component; `beyond_chance`: one of the area's providers is beyond the
    funnel's 99.8% limit on the worse side."""
    return RunResult(
        **identity(BY_ID[scheme], area, "2017/18"), status="ok", error=None, scenario="moderate",
        headline=f"What {scheme} would save.", opportunity_gbp=component.net if component.in_totals else NONE,
        opportunity_components=[component], opportunity_units=[],
        kpis=[KpiRecord(**kpi), KpiRecord(name="Patients", value=4210.0, unit="count")],
        measure=MeasureRecord(name="Share", higher_is_better=False, target=None, variation="common_cause",
                              assurance=None, providers=len(area.providers),
                              providers_worse_998=[area.providers[0]] if beyond_chance else []),
        data=DataCoverage(synthetic=True, first_month="2015-04", last_month="2018-03"),
        provenance=Provenance(package_version="0.1.0", git_commit="0" * 40, git_dirty=False, inputs={},
                              parameters=RunParameters(scheme=scheme, geography=area.code, scenario="moderate",
                                                       period="2017/18", data_dir="data/synthetic"),
                              assumptions={}))


def _view(scheme: str, area: Area, moderate: float, beyond_chance: bool = True, kpi: dict = SHARE) -> RunView:
    """An analysed run whose headline is `moderate` a year (low half, high double), cash to specialised
    commissioning."""
    money = ScenarioValues(low=moderate / 2, moderate=moderate, high=moderate * 2)
    cash = ComponentRecord(label="Drugs not bought", kind="cash_releasing", payer="nhse_specialised", year="2017/18",
                           gross=money, implementation_cost=NONE, net=money, in_totals=True, why_not_in_totals="")
    return RunView(BY_ID[scheme], area, _result(scheme, area, cash, kpi, beyond_chance), None, None)


def _capacity_only(scheme: str, area: Area) -> RunView:
    """An analysed run whose only saving is capacity released: no headline, its saving beside it."""
    beds = ScenarioValues(low=100_000, moderate=300_000, high=400_000)
    slots = ComponentRecord(label="Treatment slots released", kind="capacity_released", payer="provider",
                            year="2017/18", gross=beds, implementation_cost=NONE, net=beds, in_totals=False,
                            why_not_in_totals="capacity, not cash")
    return RunView(BY_ID[scheme], area, _result(scheme, area, slots, SHARE, False), None, None)


@pytest.fixture
def views() -> list[RunView]:
    """London with five analysed schemes (one all capacity), England and the North West for two of them, and the
    East Midlands not run."""
    return [
        _view("immunoglobulin_itp", LON, 1_000_000, kpi=ITP_KPI),
        _view("immunoglobulin_itp", NW, 600_000, kpi=ITP_KPI),
        _view("immunoglobulin_itp", ENG, 4_000_000, kpi=ITP_KPI),
        RunView(BY_ID["immunoglobulin_itp"], EM, None, None, None),
        _view("oral_chemo_wastage", LON, 1_500_000, beyond_chance=False),
        _view("oral_chemo_wastage", ENG, 5_000_000, beyond_chance=False),
        _view("antifungal_stewardship", LON, 200_000),
        _view("ms_dmt", LON, 100_000, beyond_chance=False),
        _capacity_only("prostate_fractionation", LON),
    ]


# --- params/levers.yaml ----------------------------------------------------------------------------------------------
def test_every_scheme_has_the_levers_of_its_menu_chapter():
    levers = book.scheme_levers()
    assert sorted(levers) == sorted(s.id for s in CATALOGUE)
    for info in CATALOGUE:
        entry = levers[info.id]
        assert entry.levers and all(len(text) > 20 for text in entry.levers), info.id
        assert entry.source.startswith(f"Menu of Opportunities ch. {info.number}, "), info.id
        assert entry.contact == ""  # a hub names its owner; the Menu's 2019 contacts are not copied
    # the Menu's case studies where it has them, none where it says it has none
    assert "Leeds Teaching Hospitals" in levers["immunoglobulin_itp"].case_studies[0]
    assert "£200,000" in levers["oral_chemo_wastage"].case_studies[0]
    assert len(levers["chemo_dose_banding"].case_studies) == 3
    assert levers["antifungal_stewardship"].case_studies == ()


def _write(tmp_path, text: str):
    path = tmp_path / "levers.yaml"
    path.write_text(text, encoding="utf-8")
    return path


ENTRY = "  levers: [Do the thing the Menu says]\n  source: Menu of Opportunities ch. 1, its finances\n"


def test_the_levers_file_refuses_what_would_never_show(tmp_path):
    assert load_levers(_write(tmp_path, "immunoglobulin_itp:\n" + ENTRY), schemes=["immunoglobulin_itp"]) == {
        "immunoglobulin_itp": SchemeLevers(levers=("Do the thing the Menu says",),
                                           source="Menu of Opportunities ch. 1, its finances")}
    with pytest.raises(ConfigError, match=r"no scheme has the id\(s\) \['immunoglobulin'\]"):
        load_levers(_write(tmp_path, "immunoglobulin:\n" + ENTRY), schemes=["immunoglobulin_itp"])
    with pytest.raises(ConfigError, match=r"no levers for the scheme\(s\) \['ms_dmt'\]"):
        load_levers(_write(tmp_path, "immunoglobulin_itp:\n" + ENTRY), schemes=["immunoglobulin_itp", "ms_dmt"])
    with pytest.raises(ConfigError, match="owner: unknown key"):
        load_levers(_write(tmp_path, "immunoglobulin_itp:\n" + ENTRY + "  owner: someone\n"))
    with pytest.raises(ConfigError, match="levers: Tuple should have at least 1 item"):
        load_levers(_write(tmp_path, "immunoglobulin_itp:\n  levers: []\n  source: Menu of Opportunities ch. 1\n"))
    with pytest.raises(ConfigError, match="an entry is empty"):
        load_levers(_write(tmp_path, "immunoglobulin_itp:\n  levers: ['  ']\n  source: Menu of Opportunities\n"))
    with pytest.raises(ConfigError, match="source: String should have at least 10 characters"):
        load_levers(_write(tmp_path, "immunoglobulin_itp:\n  levers: [Do it]\n  source: Menu\n"))


# --- the hub pack ----------------------------------------------------------------------------------------------------
def test_the_hub_pack_opens_with_a_summary_a_commissioner_can_act_on(views):
    hub = book.hub_pack(LON, views, False, pdf=False)
    summary = hub[hub.index("## Summary"):hub.index("**Take the pack away:**")]
    assert hub.index("## Summary") < hub.index("## Schemes ranked by their saving")  # the summary first
    # 1.5m + 1.0m + 0.2m + 0.1m; low half and high double of each
    assert "**£2.8m a year in 2017/18** (£1.4m low to £5.6m high, from 4 schemes)" in summary
    assert ("in 2 of the 4 schemes with a saving, at least one of the hub's providers lies beyond the {term}`funnel "
            "plot`'s 99.8% limit on the worse side, where chance alone would very rarely put it (1. Immunoglobulin "
            "for ITP; 2. Antifungal stewardship)") in summary
    assert ("Beside the headline, 1 further saving releases no cash to specialised commissioning (capacity released, "
            "cost avoided or another payer's): {ref}`beside the total <hub-lon-beside>`.") in summary
    levers = book.scheme_levers()
    first = re.findall(r"^  - \[(\d+)\. .*?\]\(\.\./runs/\w+/LON\.ipynb\), (£[\d.]+m) a year in 2017/18: (.*)$",
                       summary, re.M)
    assert first == [("9", "£1.5m", md_escape(levers["oral_chemo_wastage"].levers[0])),
                     ("1", "£1.0m", md_escape(levers["immunoglobulin_itp"].levers[0])),
                     ("2", "£0.2m", md_escape(levers["antifungal_stewardship"].levers[0]))]  # the top 3 only
    assert "(hub-lon-beside)=\n## Beside the total" in hub and "(hub-lon-acting)=\n## Acting on each scheme" in hub


def test_the_hub_is_compared_per_100000_people_with_england_and_the_other_hubs(views):
    hub = book.hub_pack(LON, views, False, pdf=False)
    table = hub[hub.index("## Against England and the other hubs"):hub.index("## Acting on each scheme")]
    # oral chemotherapy: £1.5m over 10m people is £15,000 per 100,000; England £5m over 50m, £10,000: 50% above
    assert ("| [9. Oral chemotherapy wastage](../schemes/oral_chemo_wastage.md) | 2017/18 | £15,000 | £10,000 | "
            "50% above | 1 of 1 | only this hub |") in table
    # ITP: London £10,000, England £4m over 50m = £8,000 (25% above), the North West £0.6m over 5m = £12,000
    assert ("| [1. Immunoglobulin for ITP](../schemes/immunoglobulin_itp.md) | 2017/18 | £10,000 | £8,000 | "
            "25% above | 2 of 2 | £10,000 to £12,000 |") in table
    assert "| [2. Antifungal stewardship](../schemes/antifungal_stewardship.md) | 2017/18 | £2,000 | not run | n/a |" \
        in table
    assert "Prostate" not in table  # no headline to compare: its saving is capacity, beside the headline


def test_each_scheme_in_the_pack_has_its_levers_case_studies_and_kpis_to_monitor(views):
    hub = book.hub_pack(LON, views, False, pdf=False)
    acting = hub[hub.index("## Acting on each scheme"):]
    assert [int(n) for n in re.findall(r"^### (\d+)\. ", acting, re.M)] == [9, 1, 2, 10, 18]  # rank order
    itp = acting[acting.index("### 1. Immunoglobulin for ITP"):acting.index("### 2. ")]
    for lever in book.scheme_levers()["immunoglobulin_itp"].levers:
        assert f"- {md_escape(lever)}\n" in itp
    assert "Leeds Teaching Hospitals" in itp
    assert ("**Indicators to monitor (London):** Episodes at 1 g/kg or less: 49.5% (target 80.0%, not met); "
            "Patients: 4,210.") in itp
    assert "[The scheme's page for London](../runs/immunoglobulin_itp/LON.ipynb)" in itp
    assert "Source: Menu of Opportunities ch. 1, " in itp and "Owner or contact" not in itp
    antifungal = acting[acting.index("### 2. "):acting.index("### 10. ")]
    assert "**Case studies:** the Menu gives none for this scheme." in antifungal


def test_a_contact_is_shown_when_filled_and_levers_are_shown_as_text(views):
    markup = "<b>bold</b> [a link](http://example.com) *stars*"
    levers = {**book.scheme_levers(), "immunoglobulin_itp": SchemeLevers(
        levers=(markup,), case_studies=(markup,), contact="Jo Bloggs, hub pharmacist", source="Menu ch. 1 " + markup)}
    hub = book.hub_pack(LON, views, False, pdf=False, levers=levers)
    assert "**Owner or contact:** Jo Bloggs, hub pharmacist" in hub
    assert markup not in hub and hub.count(md_escape(markup)) == 4  # what to do first, the lever, case, source
    chapter = book.scheme_page(BY_ID["immunoglobulin_itp"], views, False, levers=levers)
    assert "**Owner or contact:** Jo Bloggs, hub pharmacist" in chapter and markup not in chapter


def test_a_hub_with_nothing_analysed_says_so():
    hub = book.hub_pack(LON, [RunView(BY_ID["ms_dmt"], LON, None, None, None)], False, pdf=False)
    assert "## Summary\n\nNo scheme has been analysed for the London hub yet.\n" in hub
    assert "## Acting on each scheme" not in hub and "## Against England" not in hub


def test_a_kpi_to_monitor_says_its_unit_and_whether_it_meets_its_target():
    def kpi(value, unit: str, target=None, met=None) -> str:
        return book._kpi_text(KpiRecord(name="X", value=value, unit=unit, target=target, met=met))

    assert kpi(135_272.5, "grams") == "X: 135,272 grams"  # the value alone would not say grams
    assert kpi(12.345, "ddd_per_1000_bed_days") == "X: 12.35 ddd per 1000 bed days"
    assert kpi(0.5, "share", 0.8, False) == "X: 50.0% (target 80.0%, not met)"
    # money in the pages' one compact style, as their tables and totals show it
    assert kpi(1_450_000.0, "gbp", 1e6, True) == "X: £1.4m (target £1.0m, met)"
    assert kpi("*", "count") == "X: *"  # a suppressed count, as published
    assert kpi(1.5, "ratio", 2.0) == "X: 1.50 (target 2.00)"


# --- the scheme chapter ----------------------------------------------------------------------------------------------
def test_a_scheme_chapter_gives_the_year_the_target_the_hubs_per_head_and_the_levers(views):
    chart = book.scheme_chart(BY_ID["immunoglobulin_itp"], views)
    assert chart is not None
    png, alt = chart
    assert alt == ("Bar chart of the moderate headline saving per 100,000 people in 2017/18, for 2 hubs and England. "
                   "North West has the largest, £12,000 per 100,000 people, and London the smallest, £10,000; "
                   "England £8,000.")
    with Image.open(io.BytesIO(png)) as image:
        assert image.width == 900  # the book's charts' natural size
    page = book.scheme_page(BY_ID["immunoglobulin_itp"], views, False, alt)
    assert f"**The opportunity, 2017/18:** {md_escape('What immunoglobulin_itp would save.')}" in page
    assert "**Headline indicator:** Episodes at 1 g/kg or less; target 80.0% (the Menu's 80%)." in page
    assert f"![{md_escape(alt)}](../images/schemes/immunoglobulin_itp.png)" in page
    assert "Not shown, with no result: East Midlands.\n" in page
    assert "is on [England's page](../runs/immunoglobulin_itp/ENG.ipynb)." in page
    levers = book.scheme_levers()["immunoglobulin_itp"]
    assert page.index("## How the saving is achieved") > page.index("## Hubs compared per 100,000 people")
    assert all(f"- {md_escape(lever)}\n" in page for lever in levers.levers)


def test_a_chapter_without_hubs_to_compare_says_why(views):
    assert book.scheme_chart(BY_ID["prostate_fractionation"], views) is None  # its saving is capacity
    page = book.scheme_page(BY_ID["prostate_fractionation"], views, False, None)
    assert "No hub has a headline saving to compare: the scheme's savings stand beside the headline" in page
    assert "images/schemes" not in page
    assert book.scheme_chart(BY_ID["spinal_pathway"], views) is None  # not run
    assert "no hub has been analysed." in book.scheme_page(BY_ID["spinal_pathway"], views, False, None)
    _png, alt = book.scheme_chart(BY_ID["antifungal_stewardship"], views)  # one hub, England not run
    assert alt.endswith("for 1 hub. London: £2,000 per 100,000 people.")


# --- the glossary and the links out ----------------------------------------------------------------------------------
def test_the_glossary_explains_the_words_the_pages_use_and_is_in_the_book():
    text = (BOOK_SRC_DIR / "glossary.md").read_text(encoding="utf-8")
    body = text[text.index(":::{glossary}"):]
    terms = {line.strip().lower() for line in body.splitlines()[1:] if line and not line.startswith((" ", ":"))}
    for word in ("tau-squared", "overdispersion", "upper fence", "patient-quarter", "funnel plot", "process limits",
                 "special cause", "common cause", "assurance", "shrinkage", "cash-releasing", "capacity released",
                 "cost avoided", "hub", "headline", "per 100,000 people"):
        assert word in terms, word
    assert "- file: guide/glossary" in (BOOK_SRC_DIR / "_toc.yml").read_text(encoding="utf-8")


def test_the_landing_page_and_the_methods_link_the_glossary_and_the_sources():
    geo = load_geography()
    nothing_run = [RunView(info, area, None, None, None) for info in registry.implemented()
                   for area in geo.run_geographies()]
    landing = book.landing(nothing_run, geo, False, None)
    methods = (BOOK_SRC_DIR / "methods.md").read_text(encoding="utf-8")
    assert "[glossary](guide/glossary.md)" in landing and "[glossary](glossary.md)" in methods
    for url in MENU_URLS:
        assert f"]({url})" in landing and f"]({url})" in methods, url
    assert "*Improving Value in Specialised Services: Menu of Opportunities*" in landing
    assert "*Improving Value in Specialised Services: Menu of Opportunities*" in methods


def test_a_chart_is_drawn_again_only_when_what_it_shows_changes(views, monkeypatch):
    from ivanalysis.report import charts

    png, alt = book.scheme_chart(BY_ID["immunoglobulin_itp"], views)
    monkeypatch.setattr(charts, "bar_chart", lambda *args, **kwargs: pytest.fail("drawn again"))
    again, same_alt = book.scheme_chart(BY_ID["immunoglobulin_itp"], views, reuse=png)
    assert again is png and same_alt == alt  # the staged chart, as it is
    monkeypatch.undo()
    views[1] = _view("immunoglobulin_itp", NW, 700_000, kpi=ITP_KPI)  # the North West's figure changes
    changed, changed_alt = book.scheme_chart(BY_ID["immunoglobulin_itp"], views, reuse=png)
    assert changed != png and "£14,000" in changed_alt
    assert book.scheme_chart(BY_ID["immunoglobulin_itp"], views, reuse=b"not a png")[0] != b"not a png"

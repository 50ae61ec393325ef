"""The opportunity accounting: components with a kind, a payer and a year; net is gross less implementation cost; the
headline adds only the net cash-releasing saving to NHS England specialised commissioning."""
from __future__ import annotations

import re

import pandas as pd
import pytest

from ivanalysis.errors import ConfigError
from ivanalysis.results import (
    CAPACITY_RELEASED,
    CASH_RELEASING,
    COST_AVOIDED,
    ICB_CCG,
    KIND_LABELS,
    NHSE_SPECIALISED,
    PAYER_LABELS,
    PROVIDER,
    Opportunity,
    OpportunityComponent,
    Period,
    Range,
)

pytestmark = pytest.mark.unit

FY = "2017/18"


def cash(label: str, gross: Range, cost: Range = Range.zero(), **kw) -> OpportunityComponent:
    return OpportunityComponent(label, CASH_RELEASING, NHSE_SPECIALISED, gross, FY, implementation_cost=cost, **kw)


def test_range_arithmetic_scenario_by_scenario():
    assert Range(5, 10, 20) - Range(1, 2, 3) == Range(4, 8, 17)
    assert Range(5, 10, 20) + Range(1, 2, 3) == Range(6, 12, 23)
    assert Range.total([Range(1, 2, 3), Range(10, 20, 30)]) == Range(11, 22, 33)
    assert Range.total([]) == Range.zero() == Range(0, 0, 0)


def test_net_is_gross_less_implementation_cost():
    # the antifungal pharmacist: £20,000 of saving less 208 hours at £50 = £10,400; net £9,600
    c = cash("Antifungals", Range(15_000, 20_000, 30_000), Range(10_400, 10_400, 10_400))
    assert c.net == Range(4_600, 9_600, 19_600)
    assert cash("No cost", Range(1, 2, 3)).net == Range(1, 2, 3)


def test_the_headline_adds_the_net_cash_releasing_saving_to_specialised_commissioning_only():
    drugs = cash("Drugs", Range(100, 200, 300), Range(10, 20, 30))
    waste = cash("Waste", Range(1, 2, 3))
    beds = OpportunityComponent("Bed days", CAPACITY_RELEASED, PROVIDER, Range(1_000, 2_000, 3_000), FY)
    growth = OpportunityComponent("Growth", COST_AVOIDED, NHSE_SPECIALISED, Range(50, 60, 70), FY)
    ccg = OpportunityComponent("Follow-ups", CASH_RELEASING, ICB_CCG, Range(7, 8, 9), FY)
    o = Opportunity([drugs, beds, waste, growth, ccg])
    assert o.headline == Range(91, 182, 273)  # (100 - 10) + 1, (200 - 20) + 2, (300 - 30) + 3
    assert o.in_totals == (drugs, waste) and o.beside == (beds, growth, ccg)
    assert o.year == FY
    assert beds.why_not_in_totals == "capacity, not cash; falls to the provider"
    assert growth.why_not_in_totals == "cost avoided, not cash"
    assert ccg.why_not_in_totals == "falls to ICBs/CCGs"
    assert drugs.in_totals and drugs.why_not_in_totals == ""


def test_a_component_out_of_totals_is_never_in_the_headline():
    overlap = cash("Where to Look", Range(500, 600, 700), outside_totals="overlaps schemes 1, 8 and 9")
    assert not overlap.in_totals and overlap.why_not_in_totals == "overlaps schemes 1, 8 and 9"
    assert Opportunity([overlap]).headline == Range.zero()  # zero when a scheme has none
    assert Opportunity([overlap, cash("Drugs", Range(1, 2, 3))]).headline == Range(1, 2, 3)
    # a population formula that also falls to CCGs gives both reasons
    spinal = OpportunityComponent("Pathway", CASH_RELEASING, ICB_CCG, Range(1, 2, 3), FY,
                                  outside_totals="a population formula, not a measured gap")
    assert spinal.why_not_in_totals == "falls to ICBs/CCGs; a population formula, not a measured gap"


def test_the_headline_year_and_the_rule_of_one_year_in_totals():
    assert Opportunity([OpportunityComponent("Beds", CAPACITY_RELEASED, PROVIDER, Range(1, 2, 3), "2016/17")]
                       ).year == "2016/17"
    with pytest.raises(ValueError, match="one financial year"):
        Opportunity([cash("A", Range(1, 2, 3)),
                     OpportunityComponent("B", CASH_RELEASING, NHSE_SPECIALISED, Range(1, 2, 3), "2016/17")])
    mixed = Opportunity([OpportunityComponent("A", COST_AVOIDED, ICB_CCG, Range(1, 2, 3), "2016/17"),
                         OpportunityComponent("B", COST_AVOIDED, ICB_CCG, Range(1, 2, 3), FY)])
    assert mixed.year is None and mixed.headline == Range.zero()


def test_components_refuse_an_unknown_kind_payer_or_year_and_duplicate_labels():
    with pytest.raises(ValueError, match="kind"):
        OpportunityComponent("A", "cash", NHSE_SPECIALISED, Range(1, 2, 3), FY)
    with pytest.raises(ValueError, match="payer"):
        OpportunityComponent("A", CASH_RELEASING, "nhs", Range(1, 2, 3), FY)
    with pytest.raises(ConfigError, match="financial year"):
        OpportunityComponent("A", CASH_RELEASING, NHSE_SPECIALISED, Range(1, 2, 3), "2017")
    with pytest.raises(ValueError, match="distinct labels"):
        Opportunity([cash("A", Range(1, 2, 3)), cash("A", Range(1, 2, 3))])
    with pytest.raises(ValueError, match="at least one"):
        Opportunity([])
    assert set(KIND_LABELS) == {CASH_RELEASING, CAPACITY_RELEASED, COST_AVOIDED}
    assert set(PAYER_LABELS) == {NHSE_SPECIALISED, ICB_CCG, PROVIDER}


def test_antifungal_gross_counts_only_the_providers_where_the_saving_pays_for_the_pharmacist():
    from ivanalysis.schemes import antifungal_stewardship as af

    # A (larger): £50,000 less a £10,400 pharmacist; B (larger): £5,000 would not pay for one, so nothing;
    # C (smaller): £3,000 and no pharmacist. Gross £53,000, cost £10,400, net £42,600. Beside it, the prompt for
    # review on haematology and transplant wards: £7,000, with no cost of its own and outside the totals
    frame = pd.DataFrame({"gross": [50_000.0, 5_000.0, 3_000.0], "pharmacist": [10_400.0, 0.0, 0.0],
                          "net": [39_600.0, 0.0, 3_000.0], "review": [7_000.0, 0.0, 0.0]})
    c, review = af.opportunity_by_kind({s: frame for s in ("low", "moderate", "high")},
                                       Period.financial_year(FY)).components
    assert (c.gross.moderate, c.implementation_cost.moderate, c.net.moderate) == (53_000.0, 10_400.0, 42_600.0)
    assert (review.gross.moderate, review.net.moderate, review.in_totals) == (7_000.0, 7_000.0, False)


def test_patient_activation_counts_gross_and_costs_where_there_is_a_net_gain():
    from ivanalysis.schemes import patient_activation as pam

    # P: £13,200 less £4,620 = £8,580; Q: £1,000 against £2,000 of costs: not done, so neither counts
    frame = pd.DataFrame({"gross": [13_200.0, 1_000.0], "costs": [4_620.0, 2_000.0], "net": [8_580.0, 0.0]})
    (c,) = pam.opportunity_by_kind({s: frame for s in ("low", "moderate", "high")},
                                   Period.financial_year(FY)).components
    assert (c.gross.moderate, c.implementation_cost.moderate, c.net.moderate) == (13_200.0, 4_620.0, 8_580.0)


def _page_text(monkeypatch, opportunity: Opportunity, quantities=(), withheld: str = "") -> str:
    """What a page's summary shows for a result with this opportunity."""
    from types import SimpleNamespace

    from ivanalysis.geography import load_geography
    from ivanalysis.page import scheme_page

    shown = []
    monkeypatch.setattr(scheme_page, "display", lambda obj: shown.append(getattr(obj, "data", "")))
    period = Period.financial_year(FY)
    result = SimpleNamespace(area=load_geography().get("LON"), period=period, opportunity=opportunity,
                             quantities=list(quantities), kpis=[])
    scheme_page.SchemePage(result, "moderate", None, None, {}, {}, withheld=withheld).summary()
    return re.sub(r"</?a\b[^>]*>", "", "\n".join(shown))  # the wording, without its links to the glossary


def test_the_page_names_the_headline_with_its_year_and_lists_every_component(monkeypatch):
    beds = OpportunityComponent("Bed days", CAPACITY_RELEASED, PROVIDER, Range(1_000, 2_000, 3_000), FY)
    text = _page_text(monkeypatch, Opportunity([cash("Drugs", Range(100, 2_500, 3_000), Range(10, 20, 30)), beds]))
    assert ("**Net cash-releasing saving to specialised commissioning, 2017/18 (moderate): £2,480 a year** "
            "(range £90 to £2,970") in text
    assert "The other components stand beside it" in text
    table = text.split("<table", 1)[1]
    for cell in ("Drugs", "cash-releasing", "NHS England specialised commissioning", "2017/18", "£2,500", "£20",
                 "£2,480", "yes", "Bed days", "capacity released, valued", "provider",
                 "no: capacity, not cash; falls to the provider"):
        assert f">{cell}<" in table, cell


def test_a_withheld_opportunity_shows_no_pound_and_no_modelled_quantity(monkeypatch):
    from ivanalysis.results import Quantity

    drugs = cash("Drugs", Range(100, 2_500, 3_000), Range(10, 20, 30))
    patients = Quantity("Patients switched", "patients", Range(1, 3, 5))
    text = _page_text(monkeypatch, Opportunity([drugs]), [patients], withheld="small")
    assert "**Net cash-releasing saving to specialised commissioning, 2017/18: withheld.**" in text
    assert "is fewer than 8 people or events" in text and "complementary" not in text
    assert "- Patients switched (patients): withheld" in text
    assert "£" not in text  # not one pound of the component's gross, cost or net
    table = text.split("<table", 1)[1]
    assert table.count(">*<") == 5  # gross, cost and the three nets
    complement = _page_text(monkeypatch, Opportunity([drugs]), [patients], withheld="complement")
    assert "(complementary suppression)" in complement and "£" not in complement


def test_a_page_without_a_headline_says_none_and_why(monkeypatch):
    overlap = cash("Where to Look", Range(1, 2, 3), outside_totals="overlaps schemes 1, 8 and 9")
    text = _page_text(monkeypatch, Opportunity([overlap]))
    assert "**Net cash-releasing saving to specialised commissioning, 2017/18: none.**" in text
    assert "(overlaps schemes 1, 8 and 9)" in text and "no: overlaps schemes 1, 8 and 9" in text

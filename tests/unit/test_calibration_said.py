"""Calibration is not validation: a page on the synthetic data says which Menu figures the generator was tuned to."""
from __future__ import annotations

import pytest

from ivanalysis.catalogue import BY_ID, CALIBRATED_TO

pytestmark = pytest.mark.unit


def test_every_calibration_names_a_scheme():
    assert set(CALIBRATED_TO) <= set(BY_ID)
    assert BY_ID["atain_neonatal"].calibrated_to.endswith("£3m for hypoglycaemia")
    assert BY_ID["antifungal_stewardship"].calibrated_to == ""  # nothing published to tune to


@pytest.mark.parametrize(("scheme", "synthetic", "said"), [("atain_neonatal", True, True),
                                                           ("antifungal_stewardship", True, False),
                                                           ("atain_neonatal", False, False)])
def test_the_page_header_says_what_the_synthetic_data_were_tuned_to(monkeypatch, scheme, synthetic, said):
    from ivanalysis.geography import load_geography
    from ivanalysis.page import scheme_page as page_mod
    from ivanalysis.results import Period

    shown = []
    monkeypatch.setattr(page_mod, "display", lambda obj: shown.append(obj))

    class Result:  # the little of a SchemeResult that the header reads
        area = load_geography().england
        period = Period.financial_year("2017/18")
        data_months = (period.start, period.end)

    Result.scheme = BY_ID[scheme]
    page_mod.SchemePage(Result(), "moderate", None, None, {}, {"synthetic": synthetic, "seed": 2019}).header()
    text = "".join(getattr(o, "data", "") for o in shown)
    assert ("The generator was tuned so that England's figures reproduce the Menu's" in text) is said
    assert ("checks this book's arithmetic, not the Menu" in text) is said

"""Every scheme's hubs add up to England: the opportunity under each scenario and each modelled quantity.

One parametrised test for every implemented scheme (a new scheme is picked up by itself), on the default synthetic
data. The hubs partition England's providers (and commissioning areas), so any difference is a bug: an area's part
computed on other rows than England's, or a benchmark that moves with the area.
"""
from __future__ import annotations

import pytest

from ivanalysis.config import SCENARIOS
from ivanalysis.geography import load_geography
from ivanalysis.schemes import registry

pytestmark = pytest.mark.integration

SCHEMES = [s.id for s in registry.implemented()]


@pytest.mark.parametrize("scheme_id", SCHEMES)
def test_hubs_add_up_to_england(scheme_id, analyse_everywhere):
    runs = analyse_everywhere(scheme_id)
    hubs = [runs[h.code] for h in load_geography().hubs()]
    england = runs["ENG"]
    for s in SCENARIOS:
        assert sum(r.opportunity_gbp.get(s) for r in hubs) == pytest.approx(england.opportunity_gbp.get(s),
                                                                             rel=1e-9, abs=1e-6), s
    for i, q in enumerate(england.quantities):
        for s in SCENARIOS:
            total = sum(r.quantities[i].values.get(s) for r in hubs)
            assert total == pytest.approx(q.values.get(s), rel=1e-9, abs=1e-6), f"{q.label} ({s})"

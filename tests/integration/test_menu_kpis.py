"""Every KPI the Menu names for a scheme is computed on its page (a KPI of the result, its measure or its headline
opportunity) or listed in its 'Not measured here' box (tests/menu_kpis.py; the box is checked in
tests/unit/test_data_sources.py)."""
from __future__ import annotations

import pytest
from menu_kpis import MEASURE, MENU, NOT, OPPORTUNITY

from ivanalysis.schemes import registry

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("scheme_id", [s.id for s in registry.implemented()])
def test_the_menu_kpis_a_page_computes_are_in_its_result(scheme_id, tiny_data):
    result = registry.analyse(scheme_id, "ENG", tiny_data)
    names = {k.name for k in result.kpis}
    for label, where in MENU[scheme_id]:
        if where == MEASURE:
            assert result.measure is not None, label
        elif where == OPPORTUNITY:
            assert result.opportunity_gbp is not None, label
        elif where != NOT:
            assert where in names, f"{scheme_id}: the Menu's {label!r} should be the KPI {where!r}"

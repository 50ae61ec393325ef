"""Where a run's opportunity is withheld, no table column shown beside it gives it back.

A withheld run shows '*' for its pounds and modelled quantities (sdc.withholding); a table that shares them between
its rows (each provider's saving) would give them back as a column total, so such columns are declared
`Table.opportunity` and withheld with the run. This test finds the columns that do add up to the run's opportunity
and checks each is declared: a scheme that adds such a column and forgets to declare it fails here.
"""
from __future__ import annotations

import pandas as pd
import pytest

from ivanalysis.config import SCENARIOS
from ivanalysis.schemes import registry

pytestmark = pytest.mark.integration

HUB = "LON"
TOLERANCE = 0.005  # a column within 0.5% of a component or quantity gives it away to a reader


def _targets(result) -> list[tuple[str, float]]:
    """The figures a withheld run hides: every component's gross and net and every modelled quantity, by scenario."""
    out = []
    for c in result.opportunity.components:
        for s in SCENARIOS:
            out += [(f"{c.label} (gross, {s})", getattr(c.gross, s)), (f"{c.label} (net, {s})", getattr(c.net, s))]
    for q in result.quantities:
        out += [(f"{q.label} ({s})", getattr(q.values, s)) for s in SCENARIOS]
    return [(label, value) for label, value in out if abs(value) > 1]


def giveaways(result) -> list[str]:
    """Shown, undeclared columns of the result's tables whose total is one of the run's withheld figures."""
    found = []
    for name, table in result.tables.items():
        for column in table.frame.columns:
            if column in table.opportunity or column in table.hidden:
                continue
            values = pd.to_numeric(table.frame[column], errors="coerce")
            if values.isna().all():
                continue
            total = float(values.sum())
            for label, value in _targets(result):
                if abs(total - value) <= TOLERANCE * abs(value):
                    found.append(f"[{name}] {column!r} adds up to {label}")
                    break
    return found


@pytest.mark.parametrize("scheme", [s.id for s in registry.implemented()])
def test_every_column_that_adds_up_to_the_opportunity_is_withheld_with_it(scheme, default_data):
    assert giveaways(registry.analyse(scheme, HUB, default_data)) == []


def test_an_undeclared_saving_column_is_found(default_data):
    """The check is not blind: the ITP providers' saving, undeclared, is found."""
    from dataclasses import replace

    result = registry.analyse("immunoglobulin_itp", HUB, default_data)
    table = result.tables["providers"]
    undeclared = replace(result, tables={**result.tables, "providers": replace(table, opportunity=())})
    assert any("'Saving (moderate)' adds up to" in g for g in giveaways(undeclared))

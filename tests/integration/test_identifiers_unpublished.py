"""No identifying column of the input tables reaches what a page shows: every scheme's tables, charts and scenario
table, analysed for England and a hub on generated data, hold no identifier as a column, an index or a value.
(`ivanalysis scan` checks a whole build the same way, file by file.)"""
from __future__ import annotations

import pandas as pd
import pytest

from ivanalysis.data.io import find_table, read_file
from ivanalysis.data.schemas import TABLES
from ivanalysis.errors import DataError
from ivanalysis.schemes import registry

pytestmark = pytest.mark.integration

IDENTIFYING = {c for spec in TABLES.values() for c in spec.identifiers}


@pytest.fixture(scope="module")
def identifier_values(tiny_data) -> set[str]:
    values: set[str] = set()
    for spec in TABLES.values():
        df = read_file(find_table(tiny_data, spec.name))
        for column in spec.identifiers:
            values.update(df[column].dropna().astype(str))
    return values


def shown_frames(result) -> dict[str, pd.DataFrame]:
    frames = {f"table {k}": t.frame for k, t in result.tables.items()}
    frames |= {f"chart {k}": c.frame for k, c in result.charts.items()}
    frames["scenario table"] = result.scenario_table
    return frames


@pytest.mark.parametrize("scheme_id", [s.id for s in registry.implemented()])
def test_no_identifier_reaches_a_page(scheme_id, tiny_data, identifier_values):
    assert len(identifier_values) > 10_000
    analysed = 0
    for area in ("ENG", "LON"):
        try:
            result = registry.analyse(scheme_id, area, tiny_data)
        except DataError:  # at 2% of national volumes a rare treatment may have no rows in a hub
            assert area != "ENG"
            continue
        analysed += 1
        for where, frame in shown_frames(result).items():
            names = {str(c) for c in frame.columns} | {str(n) for n in frame.index.names if n is not None}
            assert not names & IDENTIFYING, f"{scheme_id} {area} {where}: identifying column {names & IDENTIFYING}"
            text = [frame.index.astype(str)] + [frame[c].astype(str) for c in frame.columns
                                                if not pd.api.types.is_float_dtype(frame[c])]
            found = set().union(*(set(v) for v in text)) & identifier_values
            assert not found, f"{scheme_id} {area} {where}: identifier values such as {sorted(found)[:3]}"
    assert analysed

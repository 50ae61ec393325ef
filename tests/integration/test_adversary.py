"""An adversary against disclosure control: from everything a small book publishes, recover suppressed counts.

The book is built from the tiny data set (2% of national volumes: many providers and hubs with 1 to 7 patients). The
adversary knows nothing but the published table files (the same figures as the pages, the workbooks and the PDFs,
which are made from them) and tries, for every suppressed count, the routes the disclosure issue names:

- elsewhere: the same row and column published unsuppressed on another page (England's page against a hub's);
- money: a pound figure shown in the suppressed count's row, divided by the money per unit of the table's other rows
  (15 patient-quarters, £83,900 spend, £62,900 of it unapproved: about 4 approved);
- totals: a total row less the other rows, each known to within its rounding (interval arithmetic).

A value is recovered when a route pins it to within half a person. The test knows the true values (the analysis
re-run on the same data) only to score the adversary, and checks the adversary on a planted leak.
"""
from __future__ import annotations

import math
from collections import defaultdict
from pathlib import Path

import pandas as pd
import pytest

from ivanalysis.geography import load_geography
from ivanalysis.pipeline.scan import subnational_names
from ivanalysis.report import table_data
from ivanalysis.schemes import registry
from ivanalysis.sdc import ROUND_TO, SMALL_MAX

pytestmark = pytest.mark.integration

TOTAL_LABELS = ("total", "all", "england")


def published_tables(build: Path) -> dict[tuple[str, str, str], table_data.TableData]:
    """(scheme, geography, table key) -> the published table, from the runs' Parquet files."""
    out = {}
    for run in sorted((build / "runs").glob("*/*")):
        if not (run / "results.json").exists():
            continue
        scheme, geo = run.parent.name, run.name
        for key, path in table_data.run_tables(run, scheme, geo).items():
            out[scheme, geo, key] = table_data.read_table(path)
    return out


def _label(data: table_data.TableData, i: int) -> str:
    """A row's name: its first text cell (a provider code, a drug, a year)."""
    first = next((n for n, k in data.kinds.items() if k == "text"), None)
    return "" if first is None else str(data.frame[first].iloc[i])


def _interval(v) -> tuple[float, float]:
    """What a published count says of the true value: a controlled count is within its rounding."""
    return (v - ROUND_TO / 2, v + ROUND_TO / 2)


def recover(tables: dict) -> list[dict]:
    """Every suppressed count with the adversary's best estimate of it, by route (None when a route gives nothing)."""
    by_row = defaultdict(list)  # (scheme, table key, row label, column) -> [(geography, shown value, suppressed)]
    for (scheme, geo, key), data in tables.items():
        for name, kind in data.kinds.items():
            if kind == "count":
                flags = data.suppressed(name)
                for i in range(len(data.frame)):
                    by_row[scheme, key, _label(data, i), name].append((geo, data.frame[name].iloc[i], bool(flags[i]),
                                                                        data.controlled))
    below_england = subnational_names()  # a row of the same name is the same provider or area on every page
    attempts = []
    for (scheme, geo, key), data in tables.items():
        frame = data.frame
        counts = [n for n, k in data.kinds.items() if k == "count"]
        money = [n for n, k in data.kinds.items() if k == "money"]
        for name in counts:
            flags = data.suppressed(name)
            for i in [i for i in range(len(frame)) if flags[i]]:
                label = _label(data, i)
                estimates = {}
                # elsewhere: the same row and column, unsuppressed and exact, on another page
                exact = [v for g, v, s, controlled in by_row[scheme, key, label, name]
                         if label in below_england and g != geo and not s and not controlled and not pd.isna(v)]
                estimates["elsewhere"] = float(exact[0]) if exact else None
                # money: a pound figure in the row over the money per unit of the other rows
                best = None
                for m in money:
                    if pd.isna(frame[m].iloc[i]) or frame[m].iloc[i] == 0:
                        continue
                    others = frame[~flags & frame[name].notna() & (frame[name] > 0) & frame[m].notna()]
                    if len(others) == 0:
                        continue
                    per_unit = (others[m] / others[name]).median()
                    if per_unit and not math.isnan(per_unit):
                        best = float(frame[m].iloc[i] / per_unit)
                        break
                estimates["money"] = best
                # totals: a total row less every other row, to within their rounding
                labels = [_label(data, j).lower() for j in range(len(frame))]
                totals = [j for j, t in enumerate(labels) if t.startswith(TOTAL_LABELS)]
                estimate = None
                if totals and i not in totals:
                    t = totals[0]
                    rest = [j for j in range(len(frame)) if j not in (i, t)]
                    if not any(flags[j] for j in rest) and not flags[t]:
                        lo, hi = _interval(frame[name].iloc[t]) if data.controlled else (frame[name].iloc[t],) * 2
                        for j in rest:
                            v = frame[name].iloc[j]
                            a, b = _interval(v) if data.controlled else (v, v)
                            lo, hi = lo - b, hi - a
                        lo, hi = max(lo, 1), min(hi, SMALL_MAX)
                        if hi - lo <= 1:
                            estimate = (lo + hi) / 2
                estimates["totals"] = estimate
                attempts.append({"scheme": scheme, "geography": geo, "table": key, "row": i, "label": label,
                                 "column": name, **estimates})
    return attempts


def true_counts(tiny_data: Path, scheme: str, geo: str, key: str) -> table_data.TableData:
    """The same table before disclosure control (what the adversary is scored against)."""
    geography = load_geography()
    result = registry.analyse(scheme, geo, tiny_data, None, geography)
    table = result.tables[key]
    frame = table.frame.reset_index(drop=True)
    headers = {col: table_data.header(col, kind) for col, kind in table.kinds().items()}
    return frame.rename(columns=headers)


def recovered(attempts: list[dict], tiny_data: Path) -> list[str]:
    truth_of = {}
    found = []
    for a in attempts:
        k = (a["scheme"], a["geography"], a["table"])
        if k not in truth_of:
            truth_of[k] = true_counts(tiny_data, *k)
        true = float(truth_of[k][a["column"]].iloc[a["row"]])
        for route in ("elsewhere", "money", "totals"):
            if a[route] is not None and abs(a[route] - true) < 0.5:
                found.append(f"{'/'.join(k)} row {a['label']!r} {a['column']!r} = {true:g} by {route}")
    return found


def test_no_suppressed_count_can_be_recovered_from_the_book(small_book, tiny_data):
    attempts = recover(published_tables(small_book))
    assert len(attempts) > 100  # the tiny data suppress many counts: the adversary has work to do
    assert len({a["scheme"] for a in attempts}) >= 10
    assert any(a["geography"] == "ENG" for a in attempts)  # provider rows on England's page are suppressed too
    assert recovered(attempts, tiny_data) == []


def test_the_adversary_recovers_a_planted_leak(small_book, tiny_data, tmp_path):
    """Money left beside a suppressed count is found: the adversary is not blind."""
    tables = published_tables(small_book)
    target = None
    for (scheme, geo, key), data in tables.items():
        counts = [n for n, k in data.kinds.items() if k == "count"]
        money = [n for n, k in data.kinds.items() if k == "money"]
        if geo != "ENG" and counts and money:
            flags = data.suppressed(counts[0])
            if flags.any() and (~flags).sum() >= 3:
                target = (scheme, geo, key)
                break
    assert target, "no table with a suppressed count and money to plant a leak in"
    truth = true_counts(tiny_data, *target)
    data = tables[target]
    count = next(n for n, k in data.kinds.items() if k == "count")
    money = next(n for n, k in data.kinds.items() if k == "money")
    i = int(data.suppressed(count).idxmax())
    per_unit = 1_000.0
    leaked = data.frame.copy()
    leaked[money] = truth[count] * per_unit  # every row's money is the true count at £1,000 a unit
    tables[target] = table_data.TableData(data.caption, leaked, data.kinds, data.synthetic, data.controlled)
    attempt = next(a for a in recover(tables) if (a["scheme"], a["geography"], a["table"]) == target
                   and a["row"] == i and a["column"] == count)
    assert abs(attempt["money"] - float(truth[count].iloc[i])) < 0.5


def modelled_quantity_routes(build: Path) -> list[dict]:
    """Each hub run whose modelled quantity is suppressed ('*') but whose pounds are shown: England's page gives the
    pounds per unit exactly (its quantity and saving are national, so exact), and the hub's pounds over that give
    the hub's quantity."""
    from ivanalysis.results import read_results

    results = {(p.parent.parent.name, p.parent.name): read_results(p)
               for p in (build / "runs").glob("*/*/results.json")}
    routes = []
    for (scheme, geo), r in results.items():
        england = results.get((scheme, "ENG"))
        if geo == "ENG" or england is None:
            continue
        for q, eq in zip(r.opportunity_units or [], england.opportunity_units or []):
            for s in ("low", "moderate", "high"):
                money, e_money, e_q = r.opportunity_gbp.get(s), england.opportunity_gbp.get(s), eq.get(s)
                if q.get(s) == "*" and money not in (None, 0, "*") and e_q and e_money:
                    routes.append({"scheme": scheme, "geography": geo, "label": q.label, "scenario": s,
                                   "estimate": money / (e_money / e_q)})
    return routes


def test_no_modelled_quantity_can_be_recovered_from_the_pounds(small_book, tiny_data):
    geography = load_geography()
    found = []
    for route in modelled_quantity_routes(small_book):
        result = registry.analyse(route["scheme"], route["geography"], tiny_data, None, geography)
        true = next(q.values.get(route["scenario"]) for q in result.quantities if q.label == route["label"])
        if abs(route["estimate"] - true) < 0.5:
            found.append(f"{route['scheme']}/{route['geography']} {route['label']} ({route['scenario']}) = {true:.2f}")
    assert found == []


def test_a_run_whose_modelled_quantity_is_small_withholds_its_pounds(small_book):
    """The route above finds nothing because the pounds are withheld, not because no quantity is small: on the tiny
    data many hub runs model a count of 1 to 7, and each of them shows '*' for every pound."""
    from ivanalysis.results import read_results

    withheld = []
    for path in (small_book / "runs").glob("*/*/results.json"):
        r = read_results(path)
        if r.status != "ok":
            continue
        if r.withheld:
            withheld.append(path.parent)
            assert r.opportunity_gbp.withheld and all(c.net.withheld for c in r.opportunity_components)
            assert all(q.get(s) == "*" for q in r.opportunity_units for s in ("low", "moderate", "high"))
        else:
            assert not r.opportunity_gbp.withheld
    assert len(withheld) >= 10, withheld

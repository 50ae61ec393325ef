"""Whether a run's opportunity is withheld below England (sdc.withholding), and the run's result.

A hub's pounds are its modelled quantities at prices England's page shows exactly, so where a quantity is
suppressed the pounds are withheld with it; and England's figure less the other hubs' would give a lone withheld hub
back, so whether a hub is withheld depends on every hub's quantities. A hub's run therefore analyses the scheme for
every hub: a warm kernel runs a scheme's hubs one after another and keeps them (memo's hubs part), so a build
analyses each hub once. A region's figures less its shown hubs' would give its withheld hubs back (and a region of
one hub is that hub), so a region's opportunity is withheld where any of its hubs' is.
"""
from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from .. import memo
from ..config import SCENARIOS
from ..data.coverage import Coverage, annualised
from ..geography import Area, Geography
from ..results import SchemeResult
from ..schemes import registry
from ..sdc import WITHHELD_COMPLEMENT, WITHHELD_SMALL, AreaOpportunity, is_quantity_unit, is_withheld_alone, withholding


def people_quantities(result: SchemeResult) -> tuple[float, ...]:
    """Every scenario's value of the result's modelled quantities that count people or events."""
    return tuple(q.values.get(s) for q in result.quantities if is_quantity_unit(q.unit) for s in SCENARIOS)


def _pounds_at_stake(result: SchemeResult) -> float:
    return sum(abs(c.net.moderate) for c in result.opportunity.components)


class HubResults(NamedTuple):
    results: dict[str, SchemeResult]  # hub code -> its result (annualised as the run's)
    failed: dict[str, Exception]  # hub code -> why its analysis failed (its own run fails with it)
    withheld: dict[str, str]  # hub code -> sdc.WITHHELD_SMALL or sdc.WITHHELD_COMPLEMENT


def _hub_results(scheme: str, data_dir: Path, period: str | None, geography: Geography,
                 coverage: Coverage | None) -> HubResults:
    results, failed = {}, {}
    for hub in geography.hubs():
        try:
            result = registry.analyse(scheme, hub.code, data_dir, period, geography)
        except Exception as exc:  # noqa: BLE001 - its own run raises it; another hub's run goes on without it
            failed[hub.code] = exc
            continue
        results[hub.code] = annualised(result, coverage) if coverage is not None else result
    # a hub that failed publishes nothing: it is withheld already, but its quantities are unknown, so it neither
    # needs a complement nor can be one
    areas = {code: AreaOpportunity(people_quantities(r), _pounds_at_stake(r)) for code, r in results.items()}
    return HubResults(results, failed, withholding(areas))


def analysed(scheme: str, area: Area, data_dir: Path, period: str | None, geography: Geography,
             coverage: Coverage | None) -> tuple[SchemeResult, str]:
    """The run's result (annualised by `coverage`, as the page shows it) and why its opportunity is withheld ('' when
    it is shown; England's never is)."""
    if area.is_national:
        result = registry.analyse(scheme, area.code, data_dir, period, geography)
        return (annualised(result, coverage) if coverage is not None else result), ""
    hubs = _all_hubs(scheme, data_dir, period, geography, coverage)
    if area.level == "hub":
        if area.code in hubs.failed:
            raise hubs.failed[area.code]
        return hubs.results[area.code], hubs.withheld.get(area.code, "")
    result = registry.analyse(scheme, area.code, data_dir, period, geography)
    result = annualised(result, coverage) if coverage is not None else result
    if is_withheld_alone(people_quantities(result)):
        return result, WITHHELD_SMALL
    mine = {h.code for h in geography.hubs() if h.region == area.code}
    return result, WITHHELD_COMPLEMENT if mine & set(hubs.withheld) else ""


def _all_hubs(scheme: str, data_dir: Path, period: str | None, geography: Geography,
              coverage: Coverage | None) -> HubResults:
    """_hub_results, once a kernel for the same scheme, data, period, geography, coverage and parameters."""
    from ..data.benchmark import benchmark_dir
    from ..data.io import file_identity, find_table

    files = tuple(file_identity(find_table(folder, name)) for folder in (data_dir, benchmark_dir()) if folder
                  for name in registry.input_tables(scheme))
    key = (scheme, str(data_dir), period, id(geography), files, coverage.factor if coverage is not None else 1.0,
           registry.params(scheme).model_dump_json())
    return memo.current().hubs.get(key, lambda: _hub_results(scheme, data_dir, period, geography, coverage),
                                   holds=(geography,))

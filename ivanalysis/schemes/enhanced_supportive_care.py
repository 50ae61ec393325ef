"""Scheme 11: enhanced supportive care (Menu of Opportunities, chapter 11).

ESC brings supportive and palliative care to patients with cancer from the diagnosis of incurable disease. The Menu
measures it by unplanned (emergency) admissions of patients with incurable cancer, whose growth should be slower in
the disease (tumour) groups offered ESC than in those not offered it and than the growth in the population managed,
and by chemotherapy in the last 30 days of life. "How will the saving be calculated": slower growth in unplanned
admissions compared with non-ESC disease groups. Here:

- unplanned admissions are counted per patient-year of patients with incurable cancer under a provider's care
  (from their first admission in the data to death or the end of the data), by tumour group and by whether the
  provider offers the group ESC (from the ESC service return), and their growth is compared year on year;
- the saving a year is, at each provider, the unplanned admissions in the headline year in the tumour groups it
  does not yet offer ESC, times the slower growth ESC brings (percentage points a year), times the cost of an
  unplanned admission. Groups already offered ESC count as nothing (never netted off), so hubs add up to England.
  Three years of slower growth avoid 1 + 2 + 3 = 6 times the first year's admissions: the Christie's "over
  1.4 million pounds in unplanned admissions across 3 years" is of this order for a centre with about 1,550
  unplanned admissions a year (1,555 x 5% x 6 x 3,000 pounds);
- the before / after comparison at an ESC service's start is a segmented regression (interrupted time series) of
  its monthly unplanned admissions, with the trend before carried on as the counterfactual.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..config import SchemeParams
from ..data.schemas.esc_services import TUMOUR_GROUPS
from ..errors import DataError
from ..geography import Area, Geography
from .base import (KPI, Chart, Period, Quantity, Range, SchemeResult, Table, area_rows, provider_table, rate_measure,
                   safe_share, scenario_frame)
from ..catalogue import BY_ID

TABLES = ("admissions", "esc_services")
INPUT_COLUMNS = {  # the columns of each table it uses: only those are read
    "admissions": ("provider_code", "patient_id", "admission_date", "admission_method", "diagnosis", "procedure_group",
                   "incurable_cancer", "date_of_death", "length_of_stay"),
    "esc_services": ("provider_code", "patient_id", "tumour_group", "service_start_date", "offer_date", "ipos_first", "ipos_review"
),
}
ASSUMPTIONS = {"growth_slowing": "share", "cost_per_admission": "gbp_per_admission"}
STATUSES = ("ESC from before the year", "ESC started in the year", "No ESC")
THREE_YEAR_FACTOR = 1 + 2 + 3  # admissions avoided over three years of slower growth, in first-year units
LAST_DAYS = 30  # chemotherapy in the last 30 days of life
ITS_MIN_MONTHS = 6  # months before and after an ESC service's start for a before / after comparison
ITS_MIN_COUNT = 8  # every month's count shown must be above the small-number threshold (1 to 7)
PER = 100  # rates per 100 patient-years (about 160: readable to a decimal place)
RUN_IN_MONTHS = 12  # the first year of data finds the patients diagnosed before it; rates start after it
GROUP_OF_CODE = {code: group for group, codes in TUMOUR_GROUPS.items() for code in codes}


# --- small pieces of arithmetic ----------------------------------------------------------------------------------
def tumour_group(diagnosis: pd.Series) -> pd.Series:
    """The disease group of each 3-character ICD-10 code; any other cancer is 'other'."""
    return diagnosis.map(GROUP_OF_CODE).fillna("other")


def growth(now: float, before: float) -> float | None:
    """Relative change from `before` to `now` (0.05 is 5% growth); None without a figure before."""
    return float(now) / float(before) - 1 if before and not pd.isna(before) and not pd.isna(now) else None


def per_100(admissions: float, patient_years: float) -> float | None:
    """Admissions per 100 patient-years; None without patient-years."""
    return PER * float(admissions) / float(patient_years) if patient_years else None


def admissions_avoided(unplanned: float, slowing: float) -> float:
    """A year of growth slower by `slowing` (percentage points) avoids that share of the year's admissions."""
    return float(unplanned) * float(slowing)


def three_year_avoided(unplanned: float, slowing: float) -> float:
    """Three years of slower growth: the gap widens each year, 1 + 2 + 3 = 6 times the first year's."""
    return admissions_avoided(unplanned, slowing) * THREE_YEAR_FACTOR


def previous_year(period: Period) -> Period:
    y = period.start.year - 1
    return Period.financial_year(f"{y}/{(y + 1) % 100:02d}")


def services(esc: pd.DataFrame) -> pd.DataFrame:
    """ESC services from the return: provider_code, tumour_group, start (the earliest start recorded)."""
    return (esc.groupby(["provider_code", "tumour_group"], observed=True)["service_start_date"].min()
            .rename("start").reset_index())


def esc_status(keys: pd.DataFrame, svc: pd.DataFrame, period: Period) -> pd.Series:
    """For rows with provider_code and tumour_group: ESC from before the year, started in the year, or none."""
    start = keys.merge(svc, on=["provider_code", "tumour_group"], how="left")["start"].to_numpy()
    status = np.select([start <= period.start.to_datetime64(), start <= period.end.to_datetime64()],
                       STATUSES[:2], STATUSES[2])
    return pd.Series(pd.Categorical(status, categories=STATUSES), index=keys.index)


def patients(cancer: pd.DataFrame, data_end: pd.Timestamp) -> pd.DataFrame:
    """One row per patient: provider and tumour group of their first admission, first admission date, end of care
    (death, or the end of the data), date of death."""
    # integer codes and numpy sorting: sorting and grouping millions of text identifiers is slow
    codes, ids = pd.factorize(cancer["patient_id"])
    order = np.lexsort((cancer["admission_date"].to_numpy(), codes))
    first = order[np.r_[True, codes[order][1:] != codes[order][:-1]]]  # each patient's earliest admission
    out = pd.DataFrame({"patient_id": ids[codes[first]],
                        "provider_code": cancer["provider_code"].to_numpy()[first],
                        "tumour_group": cancer["tumour_group"].to_numpy()[first],
                        "first": cancer["admission_date"].to_numpy()[first]})
    death = pd.Series(cancer["date_of_death"].to_numpy()).groupby(codes).min()
    out["death"] = death.reindex(codes[first]).to_numpy()
    out["end"] = out["death"].fillna(data_end).clip(upper=data_end)
    return out


def patient_years(pts: pd.DataFrame, months: pd.DatetimeIndex) -> pd.DataFrame:
    """Patient-years under care per provider, tumour group and month: each patient from their first admission to
    the end of their care, counted day by day (a difference array over days, then summed by month)."""
    first_day, last_day = months[0], months[-1] + pd.offsets.MonthEnd(0)
    days = (last_day - first_day).days + 1
    prov = pd.Categorical(pts["provider_code"])
    grp = pd.Categorical(pts["tumour_group"])
    a = np.clip((pts["first"] - first_day).dt.days.to_numpy(), 0, days)
    b = np.clip((pts["end"] - first_day).dt.days.to_numpy() + 1, 0, days)  # exclusive
    grid = np.zeros((len(prov.categories), len(grp.categories), days + 1), dtype=np.int64)
    np.add.at(grid, (prov.codes, grp.codes, a), 1)
    np.add.at(grid, (prov.codes, grp.codes, b), -1)
    daily = np.cumsum(grid[:, :, :days], axis=2)
    month_starts = (months - first_day).days.to_numpy()
    monthly = np.add.reduceat(daily, month_starts, axis=2) / 365.25
    idx = pd.MultiIndex.from_product([prov.categories, grp.categories, months],
                                     names=["provider_code", "tumour_group", "month"])
    out = pd.Series(monthly.ravel(), index=idx, name="patient_years").reset_index()
    return out[out["patient_years"] > 0]


def chemo_at_end_of_life(cancer: pd.DataFrame, pts: pd.DataFrame) -> pd.DataFrame:
    """Patients who died: whether they had chemotherapy delivered in their last 30 days of life."""
    died = pts[pts["death"].notna()].set_index("patient_id")
    chemo = cancer[cancer["procedure_group"] == "chemotherapy"][["patient_id", "admission_date"]]
    chemo = chemo[chemo["patient_id"].isin(died.index)]
    gap = (died.loc[chemo["patient_id"], "death"].to_numpy() - chemo["admission_date"].to_numpy())
    recent = chemo.loc[(gap >= np.timedelta64(0, "D")) & (gap <= np.timedelta64(LAST_DAYS, "D")), "patient_id"]
    out = died.reset_index()
    out["chemo_last_30"] = out["patient_id"].isin(set(recent))
    return out


def lead_service(cells: pd.DataFrame, svc: pd.DataFrame, months: pd.DatetimeIndex,
                 providers: tuple[str, ...] | None) -> tuple[str, pd.Timestamp, tuple[str, ...], pd.Series] | None:
    """The ESC service (provider, start, tumour groups that started then, monthly unplanned admissions in them) with
    most unplanned admissions that has `ITS_MIN_MONTHS` months before and after its start and at least
    `ITS_MIN_COUNT` admissions every month; None if no service qualifies. `providers` None: any in England.

    `cells` holds unplanned admissions by provider_code, tumour_group and month.
    """
    first = svc.groupby("provider_code")["start"].min()
    best = None
    for provider, start in first.items():
        if providers is not None and provider not in providers:
            continue
        if (months < start).sum() < ITS_MIN_MONTHS or (months >= start).sum() < ITS_MIN_MONTHS:
            continue
        groups = tuple(sorted(svc.loc[(svc["provider_code"] == provider) & (svc["start"] == start), "tumour_group"]))
        rows = cells[(cells["provider_code"] == provider) & cells["tumour_group"].isin(groups)]
        series = rows.groupby("month")["unplanned"].sum().reindex(months, fill_value=0)
        if series.min() < ITS_MIN_COUNT:
            continue
        if best is None or series.sum() > best[3].sum():
            best = (provider, pd.Timestamp(start), groups, series)
    return best


def suppress_small(df: pd.DataFrame, count: str, columns: list[str]) -> pd.DataFrame:
    """Below England: blank the figures in `columns` of rows whose `count` is 1 to 7 (they would give it away)."""
    out = df.copy()
    small = out[count].between(1, 7)
    for col in columns:
        out[col] = out[col].astype(object).where(~small, None)
    return out


# --- the analysis ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class National:
    """The analysis of every provider in England, the same whatever the area (read-only: kept between areas)."""
    svc: pd.DataFrame  # services: ESC services from the return
    months: pd.DatetimeIndex  # every month of the admissions data
    pts: pd.DataFrame  # patients: one row per patient with incurable cancer
    unplanned: pd.DataFrame  # their unplanned (emergency) admissions
    cells: pd.DataFrame  # unplanned admissions and patient-years by provider, tumour group and month
    counted: pd.DataFrame  # cells after the run-in months
    eol: pd.DataFrame  # chemo_at_end_of_life of every patient who died
    lead: tuple[str, pd.Timestamp, tuple[str, ...], pd.Series] | None  # lead_service in England


def national(tables: dict[str, pd.DataFrame], params: SchemeParams, period: Period,
             geography: Geography) -> National:
    adm = tables["admissions"]
    cancer = adm[adm["incurable_cancer"] == 1].copy()
    if cancer.empty:
        raise DataError("no admissions of patients with incurable cancer (incurable_cancer = 1) in the admissions "
                        "table")
    cancer["tumour_group"] = tumour_group(cancer["diagnosis"])
    svc = services(tables["esc_services"])
    months = pd.date_range(cancer["admission_date"].min().to_period("M").to_timestamp(),
                           cancer["admission_date"].max().to_period("M").to_timestamp(), freq="MS")
    data_end = months[-1] + pd.offsets.MonthEnd(0)
    pts = patients(cancer, data_end)
    unplanned = cancer[cancer["admission_method"] == "emergency"]

    # provider x tumour group x month: unplanned admissions and patient-years under care
    py = patient_years(pts, months)
    counts = unplanned.groupby(["provider_code", "tumour_group", unplanned["admission_date"].dt.to_period("M")],
                               observed=True).size().rename("unplanned").reset_index()
    counts["month"] = counts["admission_date"].dt.to_timestamp()
    cells = py.merge(counts.drop(columns="admission_date"), on=["provider_code", "tumour_group", "month"],
                     how="outer").fillna({"patient_years": 0.0, "unplanned": 0})
    counted = cells[cells["month"] >= months[0] + pd.DateOffset(months=RUN_IN_MONTHS)]
    if counted.empty or period.start < counted["month"].min():
        raise DataError(f"{period.label} falls in the first {RUN_IN_MONTHS} months of the admissions data (from "
                        f"{months[0]:%B %Y}), which only serve to find the patients already under care: choose a "
                        "later year or an extract that starts earlier")
    return National(svc=svc, months=months, pts=pts, unplanned=unplanned, cells=cells, counted=counted,
                    eol=chemo_at_end_of_life(cancer, pts), lead=lead_service(cells, svc, months, None))


def analyse(tables: dict[str, pd.DataFrame], area: Area, params: SchemeParams, period: Period,
            geography: Geography, kept: National | None = None) -> SchemeResult:
    from ..stats.its import segmented_regression

    nat = kept if kept is not None else national(tables, params, period, geography)  # kept by a warm kernel
    a = params.assumptions
    svc, months, cells, counted = nat.svc, nat.months, nat.cells, nat.counted
    local = area_rows(counted, area, "patients with incurable cancer")
    measure = rate_measure(
        counted, events="unplanned", exposure="patient_years", date="month", area=area, period=period,
        name="Unplanned admissions per 100 patient-years, patients with incurable cancer", higher_is_better=False,
        target=None, denominator_label="patient-years under care", value_label="Admissions per 100 patient-years",
        per=PER)

    this_year = local[period.mask(local["month"])]
    if this_year["unplanned"].sum() == 0 and this_year["patient_years"].sum() == 0:
        raise DataError(f"no admissions of patients with incurable cancer for {area.name} in {period.label}")
    before = previous_year(period)
    last_year = local[before.mask(local["month"])]
    keys = ["provider_code", "tumour_group"]
    year = this_year.groupby(keys, observed=True)[["unplanned", "patient_years"]].sum().reset_index()
    year["status"] = esc_status(year, svc, period)
    prior = last_year.groupby(keys, observed=True)[["unplanned", "patient_years"]].sum().reset_index()
    prior["status"] = esc_status(prior, svc, period)  # groups as they stand in the headline year

    # the saving: unplanned admissions in groups not yet offered ESC, times the slower growth, times the cost
    no_esc = year[year["status"] == STATUSES[2]]
    at_risk = float(no_esc["unplanned"].sum())
    avoided = Range.of(lambda s: admissions_avoided(at_risk, a["growth_slowing"].value(s)))
    gbp = Range.of(lambda s: avoided.get(s) * a["cost_per_admission"].value(s))
    three_years = Range.of(lambda s: three_year_avoided(at_risk, a["growth_slowing"].value(s))
                           * a["cost_per_admission"].value(s))
    local_unplanned = area_rows(nat.unplanned, area, "unplanned admissions")
    los = local_unplanned.loc[period.mask(local_unplanned["admission_date"]), "length_of_stay"]
    mean_los = float(los.mean()) if len(los) else 0.0
    bed_days = Range.of(lambda s: avoided.get(s) * mean_los)

    # growth by ESC status
    def by_status(df):
        return df.groupby("status", observed=False)[["unplanned", "patient_years"]].sum().reindex(STATUSES)

    now, then = by_status(year), by_status(prior)
    growth_rows = []
    for label, n, b in [*((s, now.loc[s], then.loc[s]) for s in STATUSES), ("All", now.sum(), then.sum())]:
        if not (n["patient_years"] or b["patient_years"] or n["unplanned"] or b["unplanned"]):
            continue  # e.g. no service started in the year: no row rather than a row of blanks
        rate_now, rate_then = per_100(n["unplanned"], n["patient_years"]), per_100(b["unplanned"], b["patient_years"])
        growth_rows.append({
            "ESC for the tumour group": label,
            f"Unplanned admissions {before.label}": b["unplanned"],
            f"Unplanned admissions {period.label}": n["unplanned"],
            "Growth in admissions": growth(n["unplanned"], b["unplanned"]),
            f"Patient-years {period.label}": n["patient_years"],
            "Growth in patient-years": growth(n["patient_years"], b["patient_years"]),
            f"Admissions per 100 patient-years {before.label}": rate_then,
            f"Admissions per 100 patient-years {period.label}": rate_now,
            "Growth in admissions per patient-year": growth(rate_now, rate_then) if rate_then else None,
        })
    growth_frame = pd.DataFrame(growth_rows)
    g = growth_frame.set_index("ESC for the tumour group")["Growth in admissions per patient-year"]
    if not area.is_national:
        derived = [c for c in growth_frame.columns if c.startswith(("Growth", "Admissions per"))]
        for col in (f"Unplanned admissions {before.label}", f"Unplanned admissions {period.label}"):
            growth_frame = suppress_small(growth_frame, col, derived)

    # tumour groups
    grp_now = year.groupby("tumour_group")[["unplanned", "patient_years"]].sum()
    grp_then = prior.groupby("tumour_group")[["unplanned", "patient_years"]].sum().reindex(grp_now.index)
    offering = year[year["status"] != STATUSES[2]].groupby("tumour_group")["provider_code"].nunique()
    groups = pd.DataFrame({
        "Tumour group": [t.replace("_", " ").capitalize() for t in grp_now.index],
        "Patient-years under care": grp_now["patient_years"].to_numpy(),
        "Unplanned admissions": grp_now["unplanned"].to_numpy(),
        "Admissions per 100 patient-years": (PER * grp_now["unplanned"] / grp_now["patient_years"]).to_numpy(),
        "Growth in admissions per patient-year": [
            growth(n / p, u / q) if p and q else None for n, p, u, q in zip(
                grp_now["unplanned"], grp_now["patient_years"], grp_then["unplanned"], grp_then["patient_years"])],
        "Providers offering ESC": offering.reindex(grp_now.index, fill_value=0).astype(int).to_numpy(),
    }).sort_values("Unplanned admissions", ascending=False)
    if not area.is_national:
        groups = suppress_small(groups, "Unplanned admissions",
                                ["Admissions per 100 patient-years", "Growth in admissions per patient-year"])

    # chemotherapy in the last 30 days of life, by whether the patient's group was offered ESC a month before death
    local_pts = area_rows(nat.pts, area, "patients with incurable cancer")
    # the patients of local_pts who died (a patient's provider is that of their first admission)
    eol = nat.eol if area.is_national else nat.eol[nat.eol["provider_code"].isin(area.providers)]
    eol = eol[period.mask(eol["death"])]
    start = eol[keys].merge(svc, on=keys, how="left")["start"].to_numpy()
    eol = eol.assign(with_esc=start <= (eol["death"] - pd.Timedelta(days=LAST_DAYS)).to_numpy())
    eol_rows = []
    for label, part in (("Offered ESC", eol[eol["with_esc"]]), ("Not offered ESC", eol[~eol["with_esc"]]),
                        ("All", eol)):
        eol_rows.append({"Tumour group at death": label, "Deaths": len(part),
                         "Chemotherapy in the last 30 days": int(part["chemo_last_30"].sum()),
                         "Share": safe_share(part["chemo_last_30"].sum(), len(part))})
    eol_frame = pd.DataFrame(eol_rows)

    # offers of ESC and IPOS, from the service return
    esc = tables["esc_services"]
    esc = esc if area.is_national else esc[esc["provider_code"].isin(area.providers)]  # an area may have no ESC
    offered = set(esc["patient_id"])
    new = local_pts[period.mask(local_pts["first"])]
    new_start = new[keys].merge(svc, on=keys, how="left")["start"].to_numpy()
    new_in_esc = new[new_start <= new["first"].to_numpy()]
    offers_year = esc[period.mask(esc["offer_date"])]
    reviewed = offers_year[offers_year["ipos_review"].notna()]
    ipos_change = float((reviewed["ipos_review"] - reviewed["ipos_first"]).mean()) if len(reviewed) else None

    # before / after at the area's leading ESC service (England's if the area has none that qualifies)
    lead = nat.lead if area.is_national else lead_service(cells, svc, months, area.providers)
    where = area.name
    if lead is None and not area.is_national:
        lead, where = nat.lead, "England"
    charts, its_frame, kpi_its = {}, None, None
    cost = a["cost_per_admission"].moderate
    if lead is not None:
        provider, started, lead_groups, series = lead
        fit = segmented_regression(series.to_numpy(), series.index, started)
        long = fit.data.melt(id_vars="x", value_vars=["y", "fitted", "counterfactual"], var_name="series")
        # the trend carried on is drawn from the last month before the start (before it, it is the fitted line)
        last_before = fit.data.loc[fit.data["post"] == 0, "x"].max()
        long = long[(long["series"] != "counterfactual") | (long["x"] >= last_before)]
        long["series"] = long["series"].map({"y": "Observed", "fitted": "Fitted",
                                             "counterfactual": "Trend before ESC carried on"})
        groups_text = "all tumour groups" if len(lead_groups) == len(TUMOUR_GROUPS) else \
            ", ".join(g.replace("_", " ") for g in lead_groups)
        saved = -fit.difference * cost
        charts["its"] = Chart(
            kind="line", frame=long, x="x", y="value", series="series", value_label="Unplanned admissions a month",
            title=f"Unplanned admissions, {provider} ESC service ({groups_text}), by month",
            finding=(f"The largest ESC service in {where} that can be compared before and after its start is at "
                     f"{provider} ({groups_text}, from {started:%B %Y}). " + fit.summary(lambda v: f"{v:,.1f}")
                     + f" At the moderate cost of an unplanned admission that is {_money(saved)}."
                     + ("" if min(fit.level_p, fit.slope_p) < 0.05 else
                        " Neither the step nor the change in trend is distinguishable from chance (p of 0.05 or "
                        "more): read this service's figure as uncertain.")),
            markers={started: "ESC started"})
        its_frame = pd.DataFrame({
            "Term": ["Trend before ESC (a month)", "Step when ESC started", "Change in trend (a month)"],
            "Estimate": [fit.baseline_slope, fit.level_change, fit.slope_change],
            "95% CI from": [fit.baseline_ci[0], fit.level_ci[0], fit.slope_ci[0]],
            "95% CI to": [fit.baseline_ci[1], fit.level_ci[1], fit.slope_ci[1]],
            "p-value": [_p(fit.baseline_p), _p(fit.level_p), _p(fit.slope_p)]})
        kpi_its = (-fit.difference, f"{provider} ({where}), {fit.points_after} months from {started:%B %Y}; "
                   "Menu: the Christie saved over £1.4 million in unplanned admissions across 3 years")
    else:
        monthly = local.groupby("month")[["unplanned"]].sum().reset_index()
        charts["its"] = Chart(
            kind="line", frame=monthly, x="month", y="unplanned", value_label="Unplanned admissions a month",
            title=f"Unplanned admissions of patients with incurable cancer, {area.name}, by month",
            finding=f"No ESC service in England has {ITS_MIN_MONTHS} months before and after its start with enough "
                    "admissions each month for a before / after comparison; the chart shows the monthly total.")
        its_frame = pd.DataFrame({"Term": ["No ESC service can be compared before and after its start"],
                                  "Estimate": [np.nan], "95% CI from": [np.nan], "95% CI to": [np.nan],
                                  "p-value": [""]})

    # providers
    by_provider = year.groupby("provider_code")[["unplanned", "patient_years"]].sum()
    without = no_esc.groupby("provider_code")["unplanned"].sum().reindex(by_provider.index, fill_value=0)
    esc_groups = year[year["status"] != STATUSES[2]].groupby("provider_code")["tumour_group"].agg(
        lambda s: "all" if s.nunique() == len(TUMOUR_GROUPS) else ", ".join(sorted(x.replace("_", " ") for x in s)))
    prov = pd.DataFrame({
        "Unplanned admissions": by_provider["unplanned"],
        "Admissions per 100 patient-years": PER * by_provider["unplanned"] / by_provider["patient_years"].where(
            by_provider["patient_years"] > 0),
        "Tumour groups offered ESC": esc_groups.reindex(by_provider.index).fillna("none"),
        "Unplanned admissions, groups without ESC": without,
        "Admissions avoided (moderate)": without * a["growth_slowing"].moderate,
        "Saving (moderate)": without * a["growth_slowing"].moderate * cost,
    })
    if not area.is_national:  # a rate on a small count would give the count away
        prov = suppress_small(prov, "Unplanned admissions", ["Admissions per 100 patient-years"])
    prov = provider_table(prov, measure, geography)

    total_now = now.sum()
    kpis = [
        KPI("Unplanned admissions per 100 patient-years, patients with incurable cancer",
            per_100(total_now["unplanned"], total_now["patient_years"]), "admissions_per_100_patient_years",
            None, False,
            "patients under care from their first admission to death"),
        KPI("Growth in unplanned admissions per patient-year, groups offered ESC", _value(g.get(STATUSES[0])),
            "share", None, False,
            f"{period.label} on {before.label}; Menu: slower growth than in groups not offered ESC"),
        KPI("Growth in unplanned admissions per patient-year, groups not offered ESC", _value(g.get(STATUSES[2])),
            "share", None, False, f"{period.label} on {before.label}"),
        KPI("Growth in patient-years of patients with incurable cancer under care",
            growth(total_now["patient_years"], then.sum()["patient_years"]), "share", None, None,
            "the population managed"),
        KPI("Patients who died having chemotherapy in their last 30 days", safe_share(
            eol["chemo_last_30"].sum(), len(eol)), "share", None, False,
            "Menu: ESC helps optimise the timing of the final chemotherapy"),
        KPI("Patients newly under care offered ESC", safe_share(new["patient_id"].isin(offered).sum(), len(new)),
            "share", 1.0, True, "Menu: all patients with incurable cancer offered ESC"),
        KPI("Patients newly under care offered ESC, in groups with an ESC service",
            safe_share(new_in_esc["patient_id"].isin(offered).sum(), len(new_in_esc)), "share", 1.0, True),
        KPI("Mean change in IPOS score at ESC review", ipos_change, "points", None, False,
            "Integrated Palliative care Outcome Scale, 0 to 68, lower is better"),
        KPI("Unplanned admissions, patients with incurable cancer", float(total_now["unplanned"]), "count"),
        KPI("Bed days in these unplanned admissions", float(los.sum()), "days"),
    ]
    kpis.append(KPI("Unplanned admissions avoided at the leading ESC service since it started",
                    kpi_its[0] if kpi_its else None, "admissions", None, True,
                    kpi_its[1] if kpi_its else "no ESC service can be compared before and after its start"))
    kpis.append(KPI("Saving at the leading ESC service since it started", kpi_its[0] * cost if kpi_its else None,
                    "gbp", None, True, "before / after comparison, at the moderate cost of an admission"))

    area_svc = svc[svc["provider_code"].isin(area.providers)] if not area.is_national else svc
    offers = offers_year.groupby("provider_code").size()
    svc_table = area_svc.groupby("provider_code").agg(
        start=("start", "min"), groups=("tumour_group", lambda s: "all" if s.nunique() == len(TUMOUR_GROUPS) else
                                        ", ".join(sorted(x.replace("_", " ") for x in s)))).reset_index()
    svc_table = pd.DataFrame({
        "Provider": svc_table["provider_code"], "Hub": svc_table["provider_code"].map(geography.hub_of),
        "ESC from": svc_table["start"].dt.strftime("%B %Y"), "Tumour groups offered ESC": svc_table["groups"],
        f"Patients offered ESC in {period.label}": offers.reindex(svc_table["provider_code"], fill_value=0).to_numpy(),
    })

    outputs = [("Unplanned admissions avoided a year", "count", avoided),
               ("Bed days released a year", "days", bed_days),
               ("Saving a year", "gbp", gbp), ("Saving over three years of slower growth", "gbp", three_years)]
    return SchemeResult(
        scheme=BY_ID["enhanced_supportive_care"], area=area, period=period, params=params, kpis=kpis,
        opportunity_gbp=gbp,
        quantities=[Quantity("Unplanned admissions avoided a year", "admissions", avoided),
                    Quantity("Bed days released a year", "bed days", bed_days)],
        measure=measure,
        tables={
            "providers": Table(f"Providers of {area.name}: unplanned admissions of patients with incurable cancer, "
                               f"{period.label}", prov,
                               counts=("Unplanned admissions", "Unplanned admissions, groups without ESC"),
                               money=("Saving (moderate)",),
                               numbers=("Admissions per 100 patient-years", "Admissions avoided (moderate)")),
            "growth": Table(f"{area.name}: growth in unplanned admissions of patients with incurable cancer, "
                            f"{before.label} to {period.label}, by whether the tumour group is offered ESC "
                            f"(as in {period.label})", _as_percent(growth_frame),
                            counts=(f"Unplanned admissions {before.label}", f"Unplanned admissions {period.label}"),
                            numbers=(f"Patient-years {period.label}",
                                     f"Admissions per 100 patient-years {before.label}",
                                     f"Admissions per 100 patient-years {period.label}")),
            "groups": Table(f"{area.name}: unplanned admissions of patients with incurable cancer by tumour group, "
                            f"{period.label}", _as_percent(groups), counts=("Unplanned admissions",),
                            numbers=("Patient-years under care", "Admissions per 100 patient-years")),
            "end_of_life": Table(f"{area.name}: patients with incurable cancer who died in {period.label}, and "
                                 "chemotherapy in their last 30 days of life", eol_frame,
                                 counts=("Deaths", "Chemotherapy in the last 30 days"),
                                 rates={"Share": ("Chemotherapy in the last 30 days", "Deaths")}),
            "its": Table(f"Before and after: segmented regression of monthly unplanned admissions at the ESC service "
                         f"charted above ({where})", its_frame, numbers=("Estimate", "95% CI from", "95% CI to")),
            "services": Table(f"ESC services of {area.name} (from the ESC service return)", svc_table,
                              counts=(f"Patients offered ESC in {period.label}",)),
        },
        scenario_table=scenario_frame(params, outputs),
        charts=charts,
        caveats=[
            "Patients count from their first admission in the data: take an extract that starts a year before the "
            "headline year so that patients diagnosed earlier are found (here the data start in "
            f"{months[0]:%B %Y}).",
            "Case mix differs between tumour groups (lung and upper GI cancers bring more admissions than breast or "
            "prostate), so compare providers and groups with that in mind; the funnel plot does not adjust for it.",
            "Growth in groups offered ESC against groups not offered it is an observational comparison: groups were "
            "not chosen at random, and other changes may have happened at the same time.",
            "The saving assumes that ESC in the groups not yet offered it slows growth in their unplanned admissions "
            "as the scenarios say; the before / after comparison shows what one service achieved, not a promise.",
            "Chemotherapy in the last 30 days of life comes from chemotherapy delivery day cases in the admissions "
            "data; cycles given as outpatients elsewhere would be missed.",
        ],
        data_months=(months[0], months[-1]),
        area_providers=area.providers,
        opportunity_note=(
            "Opportunity is counted only for tumour groups a provider does not yet offer enhanced supportive "
            "care; groups already offered count as nothing."),
    )


def _money(v: float) -> str:
    from ..report import fmt

    return ("a saving of about " + fmt.gbp(v)) if v >= 0 else ("a cost of about " + fmt.gbp(-v))


def _p(v: float) -> str:
    return "< 0.001" if v < 0.001 else f"{v:.3f}"


def _as_percent(df: pd.DataFrame) -> pd.DataFrame:
    """Growth columns as text percentages (a Table's rates are shares of counts; growth is not)."""
    from ..report import fmt

    out = df.copy()
    for col in [c for c in out.columns if c.startswith("Growth")]:
        out[col] = [("" if v is None or pd.isna(v) else f"{'+' if v > 0 else ''}{fmt.pct(v)}") for v in out[col]]
    return out


def _value(v) -> float | None:
    """A figure for a KPI: None when missing (never NaN, which results.json cannot hold)."""
    return None if v is None or pd.isna(v) else float(v)

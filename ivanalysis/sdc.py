"""Statistical disclosure control for everything published below national level.

The rule of the book: 0 stays 0; counts of 1 to 7 show as '*'; larger counts are rounded to the nearest 5.
Totals are computed from unrounded values and then rounded. A rate whose numerator or denominator is a count of
1 to 7 is suppressed too, so it cannot give the count away.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from typing import NamedTuple

import numpy as np
import pandas as pd

SUPPRESSED = "*"
SMALL_MAX = 7
ROUND_TO = 5
# the rule in words, for captions, caveats and packs: the numbers above are its only source
RULE_TEXT = f"counts of 1 to {SMALL_MAX} are shown as {SUPPRESSED}, others rounded to the nearest {ROUND_TO}"
# the same rule for tables published as data, where a suppressed cell is empty and flagged rather than a '*'
DATA_RULE_TEXT = (f"counts of 1 to {SMALL_MAX} are suppressed, others rounded to the nearest {ROUND_TO}; a rate built "
                  "on a suppressed count is suppressed with it")


def is_small(count: float) -> bool:
    return 1 <= count <= SMALL_MAX


def small(counts: pd.Series) -> pd.Series:
    """Which counts would be suppressed (more than 0, at most SMALL_MAX): a figure built on one gives it away."""
    return (counts > 0) & (counts <= SMALL_MAX)


def control_count(count: float) -> int | str:
    """0 -> 0; 1-7 -> '*'; otherwise the nearest multiple of 5 (halves round up)."""
    if count is None or (isinstance(count, float) and math.isnan(count)):
        return ""
    if count < 0:
        raise ValueError(f"a count cannot be negative: {count}")
    if count == 0:
        return 0
    if count < 1 or is_small(count):
        # a fraction of a person (e.g. a modelled count) between 0 and 1 is still small
        return SUPPRESSED
    return int(math.floor(count / ROUND_TO + 0.5) * ROUND_TO)


# how a suppressed modelled quantity reads in prose and scenario tables ("fewer than 8 patients"), the same everywhere
SUPPRESSED_WORDS = f"fewer than {SMALL_MAX + 1}"


def control_quantity(value: float) -> int | float | str:
    """A modelled quantity below England (patients switched, bed days released): it is derived from counts of people,
    so it is controlled as a count (control_count); a negative value (a quantity that grows) is controlled by its
    size. Returns '*' when suppressed."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return value
    controlled = control_count(abs(value))
    return controlled if controlled == SUPPRESSED or value >= 0 else -controlled


# units of figures that are not counts of people or events: money, shares, ratios, durations and rates (<x>_per_<y>);
# and capacity or population figures worked out from a count that is controlled in its own right where it is shown
# (beds from bed days, linac days from fractions, networks from population)
NOT_QUANTITY_UNITS = ("share", "gbp", "ratio", "hours", "weeks", "months", "years", "beds", "linac days", "networks")


def is_quantity_unit(unit: str) -> bool:
    """Does a figure in this unit count people or events (patients, days, grams, courses), so that below England it
    is controlled as a count?"""
    return unit not in NOT_QUANTITY_UNITS and "_per_" not in unit


def control_rate_allowed(numerator: float, denominator: float) -> bool:
    """May a rate built on these counts be shown? Not when either count is 1-7, or the complement is."""
    values = (numerator, denominator, denominator - numerator)
    return not any(is_small(v) or 0 < v < 1 for v in values if v is not None and not pd.isna(v))


def control_series(counts: pd.Series) -> pd.Series:
    return counts.map(control_count).astype(object)


class ControlledFrame(NamedTuple):
    """A table after disclosure control: `values` holds numbers (a suppressed cell is null), `suppressed` says which
    cells were suppressed (True where the page shows '*'), with the same index and columns."""

    values: pd.DataFrame
    suppressed: pd.DataFrame


def control_frame(frame: pd.DataFrame, *, counts=(), rates: Mapping[str, tuple[str, str]] | None = None,
                  follow=(), withhold=(), controlled: bool = True) -> ControlledFrame:
    """Disclosure control applied to a table's data, once, for every edge (page, CSV, Parquet, workbook).

    counts: columns of counts: 0 stays 0, 1-7 (and any fraction of a person below 1) becomes null and is flagged,
        larger counts are rounded to the nearest 5 (halves up), as numbers.
    follow: columns (money, figures per patient...) that would give a suppressed count away from their row (15
        patient-quarters, £83,900 spend, £62,900 of it unapproved: about 4 approved): null and flagged in every row
        where a count or rate is suppressed (secondary suppression).
    rates: column -> (numerator column, denominator column): a rate is null and flagged when a count it is built on,
        or the complement, is small (control_rate_allowed). The counts are read from `frame` before rounding.
    withhold: columns null and flagged in every row (a run's opportunity, withheld: see `withholding`).
    controlled: False (England) returns the figures unchanged, nothing flagged.
    A missing count stays missing, unflagged; a rate on small counts is flagged even when missing (the page shows
    '*' for it either way). Other columns pass through.
    """
    rates = dict(rates or {})
    values = frame.copy()
    suppressed = pd.DataFrame(False, index=frame.index, columns=frame.columns)
    if not controlled:
        return ControlledFrame(values, suppressed)
    for col in counts:
        raw = pd.to_numeric(frame[col])
        if (raw < 0).any():
            raise ValueError(f"a count cannot be negative: {raw[raw < 0].iloc[0]} in column {col!r}")
        hide = small(raw)  # fractions of a person below 1 too
        rounded = np.floor(raw / ROUND_TO + 0.5) * ROUND_TO  # the arithmetic of control_count, so the two agree
        values[col] = rounded.where(~hide).astype("Int64")
        suppressed[col] = hide
    for col, (num, den) in rates.items():
        hide = pd.Series([not control_rate_allowed(n, d) for n, d in zip(frame[num], frame[den])],
                         index=frame.index, dtype=bool)
        values[col] = frame[col].where(~hide)
        suppressed[col] = hide
    follow = [c for c in follow if c not in counts and c not in rates]
    if follow:
        row_hidden = suppressed[list(counts) + list(rates)].any(axis=1)
        for col in follow:
            values[col] = values[col].where(~row_hidden)
            suppressed[col] = row_hidden
    for col in withhold:
        values[col] = values[col].where(pd.Series(False, index=frame.index))
        suppressed[col] = True
    return ControlledFrame(values, suppressed)


# --- withholding a run's opportunity below England -------------------------------------------------------------------
# A run's pounds are its modelled quantities times prices that England's page shows exactly: where a quantity is
# suppressed, the pounds would give it back, so they are withheld with it (with every quantity of the run). And where
# one area's figures are withheld, England's less the other areas' would give them back: another area is withheld
# with it (complementary suppression). A region's page is withheld where any of its hubs is (page/withholding.py).
WITHHELD_SMALL = "small"
WITHHELD_COMPLEMENT = "complement"
# why, in words (after "withheld: ")
WITHHELD_TEXT = {
    WITHHELD_SMALL: f"one of its modelled quantities is {SUPPRESSED_WORDS} people or events, which the pounds would "
                    "give away",
    WITHHELD_COMPLEMENT: "another area's figures for the scheme are withheld, and a total (England's, or a region's) "
                         "less the areas shown would give them back (complementary suppression)",
}


class AreaOpportunity(NamedTuple):
    """What withholding needs of one area's run: its modelled quantities that count people or events (every
    scenario's value) and the pounds at stake (to choose the smallest complement)."""

    quantities: tuple[float, ...]
    pounds: float


def is_withheld_alone(quantities) -> bool:
    """Would any of these quantities show as suppressed (control_quantity)?"""
    return any(control_quantity(v) == SUPPRESSED for v in quantities)


def _can_complement(a: AreaOpportunity) -> bool:
    """Withheld with a small area, does this one make their sum safe? Only if every quantity is shown and not 0."""
    return all(control_quantity(v) not in (SUPPRESSED, 0) for v in a.quantities)


def withholding(areas: Mapping[str, AreaOpportunity]) -> dict[str, str]:
    """Which areas' opportunities are withheld, and why (WITHHELD_SMALL or WITHHELD_COMPLEMENT), for areas that
    together make England (the hubs).

    An area with a suppressed quantity is withheld, and with it the area with the fewest pounds whose quantities are
    large enough to hide it (none of the small ones is), so that England less the shown areas gives only a sum of
    which no part can be told and which is not small itself; with none that can, every area is withheld."""
    withheld = {code: WITHHELD_SMALL for code, a in areas.items() if is_withheld_alone(a.quantities)}
    if not withheld or len(withheld) == len(areas):
        return withheld
    candidates = sorted((c for c in areas if c not in withheld and _can_complement(areas[c])),
                        key=lambda c: (abs(areas[c].pounds), c))
    for c in candidates[:1] or [c for c in sorted(areas) if c not in withheld]:
        withheld[c] = WITHHELD_COMPLEMENT
    return withheld

"""Statistical disclosure control for everything published below national level.

The rule of the book: 0 stays 0; counts of 1 to 7 show as '*'; larger counts are rounded to the nearest 5.
Totals are computed from unrounded values and then rounded. A rate whose numerator or denominator is a count of
1 to 7 is suppressed too, so it cannot give the count away.
"""
from __future__ import annotations

import math

import pandas as pd

SUPPRESSED = "*"
SMALL_MAX = 7
ROUND_TO = 5
# the rule in words, for captions, caveats and packs: the numbers above are its only source
RULE_TEXT = f"counts of 1 to {SMALL_MAX} are shown as {SUPPRESSED}, others rounded to the nearest {ROUND_TO}"


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


def control_rate_allowed(numerator: float, denominator: float) -> bool:
    """May a rate built on these counts be shown? Not when either count is 1-7, or the complement is."""
    values = (numerator, denominator, denominator - numerator)
    return not any(is_small(v) or 0 < v < 1 for v in values if v is not None and not pd.isna(v))


def control_series(counts: pd.Series) -> pd.Series:
    return counts.map(control_count).astype(object)

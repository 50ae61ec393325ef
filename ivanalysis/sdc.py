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
                  controlled: bool = True) -> ControlledFrame:
    """Disclosure control applied to a table's data, once, for every edge (page, CSV, Parquet, workbook).

    counts: columns of counts: 0 stays 0, 1-7 (and any fraction of a person below 1) becomes null and is flagged,
        larger counts are rounded to the nearest 5 (halves up), as numbers.
    rates: column -> (numerator column, denominator column): a rate is null and flagged when a count it is built on,
        or the complement, is small (control_rate_allowed). The counts are read from `frame` before rounding.
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
    return ControlledFrame(values, suppressed)

"""How numbers read on a page: one place, so every page and chart says the same figure the same way."""
from __future__ import annotations

import math

from ..sdc import is_quantity_unit


def _strip(s: str) -> str:
    """'25.0' -> '25', and never '-0'."""
    s = s.rstrip("0").rstrip(".") if "." in s else s
    return "0" if s in ("-0", "") else s


def _no_negative_zero(text: str) -> str:
    """'-0.0%' -> '0.0%', '-£0' -> '£0': a figure that rounds to nothing has no sign."""
    return text.replace("-", "", 1) if not any(ch in "123456789" for ch in text) else text


def is_missing(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def pct(v: float | None, digits: int = 1) -> str:
    """0.5493 -> '54.9%'."""
    return "n/a" if is_missing(v) else _no_negative_zero(f"{v * 100:.{digits}f}%")


def number(v: float | None, digits: int = 0) -> str:
    return "n/a" if is_missing(v) else _no_negative_zero(f"{v:,.{digits}f}")


def quantity(v: float | None) -> str:
    """A modelled quantity (cases avoided, bed days released): whole from 10; below, one decimal where it has one,
    so 0.7 cases reads '0.7', never '1'."""
    if is_missing(v):
        return "n/a"
    if isinstance(v, str):  # disclosure-controlled below England ('*'): shown as it is published
        return v
    return number(v, 1) if abs(v) < 10 and v != round(v) else number(v)


def gbp(v: float | None) -> str:
    """Headline money: '£5.2 million', '£854,000', '£12,300' (three significant figures at most)."""
    if is_missing(v):
        return "n/a"
    sign = "-" if v < 0 else ""
    v = abs(v)
    if v >= 1e3:
        v = round(v, 3 - len(str(int(v))))  # three significant figures, before choosing the wording
    if v >= 1e6:
        return f"{sign}£{_strip(f'{v / 1e6:,.1f}')} million"
    return _no_negative_zero(f"{sign}£{v:,.0f}")


def gbp_table(v: float | None) -> str:
    """Money in a table: to the nearest £100, so that small differences do not suggest false precision."""
    if is_missing(v):
        return ""
    rounded = int(round(v, -2))
    return f"{'-' if rounded < 0 else ''}£{abs(rounded):,}"


def axis(v: float, kind: str = "number") -> str:
    """Compact tick labels: '25%', '£1.5m', '1,200'."""
    if kind == "percent":
        return _strip(f"{v * 100:.1f}") + "%"
    if kind == "gbp":
        sign, a = ("-" if v < 0 else ""), abs(v)
        return f"{sign}£{_strip(f'{a / 1e6:,.1f}')}m" if a >= 1e6 else f"{sign}£{a:,.0f}"
    if kind == "number":
        return _no_negative_zero(f"{v:,.0f}") if abs(v) >= 100 or v == round(v) else _strip(f"{v:.3g}")
    raise ValueError(f"kind must be 'number', 'percent' or 'gbp', not {kind!r}")


UNIT_FORMATS = {
    "share": pct,
    "gbp": gbp,
    "count": number,
    "days": lambda v: number(v),
    "grams": lambda v: number(v),
    "fractions": lambda v: number(v, 1) if not is_missing(v) and abs(v) < 100 else number(v),
    "ratio": lambda v: number(v, 2),
    "hours": lambda v: number(v),
    "g_per_kg": lambda v: number(v, 1),
}


def price(v: float | None) -> str:
    """A unit price: '£34', '£1,500', '£12.50'."""
    if is_missing(v):
        return "n/a"
    return _no_negative_zero(f"£{v:,.0f}" if float(v).is_integer() else f"£{v:,.2f}")


def by_unit(v: float | None, unit: str) -> str:
    """Format by the units of config.Unit and KPI units (gbp_per_* are prices, share a percentage ...); a figure
    counting people or events in a unit of its own ('admissions', 'patients') is a quantity: whole from 10."""
    if unit.startswith("gbp_per_"):
        return price(v)
    if unit not in UNIT_FORMATS and is_quantity_unit(unit):
        return quantity(v)
    return UNIT_FORMATS.get(unit, _plain_number)(v)


def _plain_number(v: float | None) -> str:
    """Other units (rates such as ddd_per_1000_bed_days): whole numbers from 100, else up to 2 decimals."""
    if is_missing(v):
        return "n/a"
    return number(v) if abs(v) >= 100 else _strip(f"{v:,.2f}")


def md_escape(text: str) -> str:
    """Text from data or parameters, made inert in Markdown (no HTML, no links, no roles, no emphasis)."""
    import html

    text = html.escape(str(text), quote=False)
    # brackets are enough to stop a link or an image; parentheses in ordinary prose stay as they are
    for ch in "\\`*_{}[]<>#+!|$":
        text = text.replace(ch, "\\" + ch)
    return text

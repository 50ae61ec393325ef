"""Each table's columns said in words, from its schema: the data dictionary page of the book and the README of
`ivanalysis template` both read them here, so the two never disagree."""
from __future__ import annotations

from .schemas import TableSpec


def column_kind(dtype) -> str:
    """A column's type as an analyst says it."""
    text = str(dtype)
    if "datetime" in text:
        return "date (YYYY-MM-DD, optionally hh:mm:ss)"
    return {"str": "text", "object": "text", "category": "text", "float64": "number", "int64": "whole number",
            "Int64": "whole number (may be empty)", "bool": "true or false"}.get(text, text)


def rule_text(check) -> str:
    """A pandera rule in words: 'one of radical, adjuvant, palliative', '>= 1 and <= 60'."""
    stats = getattr(check, "statistics", None) or {}
    if check.name == "isin":
        return "one of " + ", ".join(map(str, stats.get("allowed_values", [])))
    if check.name == "str_matches":
        said = (check.error or "").partition("str_matches: ")[2]
        return said or f"matches {stats.get('pattern')}"
    if check.name == "in_range":
        lo = ">=" if stats.get("include_min", True) else ">"
        hi = "<=" if stats.get("include_max", True) else "<"
        return f"{lo} {stats.get('min_value')} and {hi} {stats.get('max_value')}"
    return check.error or check.name


def columns(spec: TableSpec) -> list[dict]:
    """Each column of the table: name, kind, whether it may be empty, its rules, its description, and whether it
    identifies a person or a record of their care."""
    rows = []
    for name, col in spec.schema.columns.items():
        rules = "; ".join(rule_text(c) for c in col.checks)
        if col.unique:
            rules = (rules + "; " if rules else "") + "unique"
        rows.append({"name": name, "identifying": name in spec.identifiers, "kind": column_kind(col.dtype),
                     "nullable": col.nullable, "rules": rules, "description": col.description or ""})
    return rows


def row_rules(spec: TableSpec) -> str:
    """The rules across a row's columns, in words ('' when there are none)."""
    return "; ".join(rule_text(c) for c in spec.schema.checks)

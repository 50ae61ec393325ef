"""The results model: what a scheme's analysis returns (typed tables, KPIs, the opportunity) and what a run records."""
from .scheme import (KPI, Chart, Measure, Period, Quantity, Range, RunContext, SchemeResult, Table)

__all__ = ["KPI", "Chart", "Measure", "Period", "Quantity", "Range", "RunContext", "SchemeResult", "Table"]

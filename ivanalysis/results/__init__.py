"""The results model: what a scheme's analysis returns (typed tables, KPIs, the opportunity) and what a run records."""
from .record import (SCHEMA_VERSION, DataCoverage, InputFile, KpiRecord, MeasureRecord, Provenance, QuantityRecord,
                     ResultsFileError, RunParameters, RunResult, ScenarioValues, read_results, write_json,
                     write_results)
from .scheme import (KPI, Chart, Measure, Period, Quantity, Range, RunContext, SchemeResult, Table, financial_years,
                     label_of_year)

__all__ = ["KPI", "Chart", "Measure", "Period", "Quantity", "Range", "RunContext", "SchemeResult", "Table",
           "financial_years", "label_of_year",
           "SCHEMA_VERSION", "DataCoverage", "InputFile", "KpiRecord", "MeasureRecord", "Provenance", "QuantityRecord",
           "ResultsFileError", "RunParameters", "RunResult", "ScenarioValues", "read_results", "write_json",
           "write_results"]

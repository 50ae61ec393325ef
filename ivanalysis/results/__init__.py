"""The results model: what a scheme's analysis returns (typed tables, KPIs, the opportunity) and what a run records."""
from .record import (SCHEMA_VERSION, ComponentRecord, DataCoverage, InputFile, KpiRecord, MeasureRecord, Provenance,
                     QuantityRecord, ResultsFileError, RunParameters, RunResult, ScenarioValues, read_results,
                     write_json, write_results)
from .scheme import (CAPACITY_RELEASED, CASH_RELEASING, COST_AVOIDED, ICB_CCG, KIND_LABELS, KPI, NHSE_SPECIALISED,
                     PAYER_LABELS, PROVIDER, Chart, Measure, Opportunity, OpportunityComponent, Period, Quantity, Range,
                     RunContext, SchemeResult, Table, financial_years, label_of_year)

__all__ = ["KPI", "Chart", "Measure", "Period", "Quantity", "Range", "RunContext", "SchemeResult", "Table",
           "financial_years", "label_of_year",
           "Opportunity", "OpportunityComponent", "CASH_RELEASING", "CAPACITY_RELEASED", "COST_AVOIDED",
           "NHSE_SPECIALISED", "ICB_CCG", "PROVIDER", "KIND_LABELS", "PAYER_LABELS",
           "SCHEMA_VERSION", "ComponentRecord", "DataCoverage", "InputFile", "KpiRecord", "MeasureRecord", "Provenance",
           "QuantityRecord", "ResultsFileError", "RunParameters", "RunResult", "ScenarioValues", "read_results",
           "write_json", "write_results"]

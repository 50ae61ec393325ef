"""Data minimisation: every table names its identifying columns, a scheme reads one only if its analysis uses it,
and the data dictionary marks them as never published. (That none reaches a page: tests/integration/
test_identifiers_unpublished.py, on analyses of generated data.)"""
from __future__ import annotations

import ast
import inspect
import re

import pytest

from ivanalysis.data.schemas import TABLES
from ivanalysis.schemes import registry

pytestmark = pytest.mark.unit

LOOKS_IDENTIFYING = re.compile(r"patient|baby|_id$")  # as `ivanalysis scan` looks for identifiers
# record keys that identify no person: each row is a provider's aggregate
NOT_A_PERSON = {("antifungal_issues", "line_id"), ("bed_days", "return_id")}
SCHEMES = [s.id for s in registry.implemented()]


def test_all_twenty_schemes_are_checked():
    assert len(SCHEMES) == 20


@pytest.mark.parametrize("table", list(TABLES))
def test_every_table_names_its_identifying_columns(table):
    spec = TABLES[table]
    looks = {c for c in spec.schema.columns if LOOKS_IDENTIFYING.search(c)}
    assert looks - set(spec.identifiers) == {c for t, c in NOT_A_PERSON if t == table}
    patients = [c for c in spec.identifiers if "patient" in c or "baby" in c]
    assert spec.patient_column == (patients[0] if patients else None)
    assert "nhs_number" not in spec.schema.columns  # no table asks for NHS numbers by name


def strings_outside_input_columns(source: str) -> set[str]:
    """The string literals of a module's source, leaving out its INPUT_COLUMNS declaration."""
    def declares_input_columns(node: ast.stmt) -> bool:
        targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
        return any(getattr(t, "id", None) == "INPUT_COLUMNS" for t in targets)

    return {n.value for node in ast.parse(source).body if not declares_input_columns(node)
            for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)}


def test_the_check_finds_an_identifier_read_for_nothing():
    source = ('INPUT_COLUMNS = {"admissions": ("provider_code", "patient_id")}\n'
              'def count(df):\n    return df.groupby("provider_code").size()\n')
    assert strings_outside_input_columns(source) == {"provider_code"}
    assert "patient_id" in strings_outside_input_columns(source + 'N = df["patient_id"].nunique()\n')


@pytest.mark.parametrize("scheme_id", SCHEMES)
def test_a_scheme_reads_an_identifier_only_if_its_analysis_uses_it(scheme_id):
    scheme = registry.scheme(scheme_id)
    # every table's columns are declared: a scheme that declared none would be handed every identifier
    assert set(scheme.input_columns) == set(scheme.tables)
    used = strings_outside_input_columns(inspect.getsource(scheme.module))
    unused = [(table, c) for table, columns in scheme.input_columns.items() for c in columns
              if c in TABLES[table].identifiers and c not in used]
    assert not unused, f"{scheme_id} reads identifiers its analysis never names: {unused}"


def test_the_data_dictionary_marks_every_identifying_column_as_never_published():
    from ivanalysis.pipeline.book import data_dictionary

    page = data_dictionary()
    assert "no page, table, chart or download ever shows one" in " ".join(page.split())  # the preface, once
    for name, spec in TABLES.items():
        section = page.split(f"## `{name}`:", 1)[1].split("\n## ", 1)[0]
        for column in spec.schema.columns:
            marked = f"| `{column}` (identifying) |" in section
            assert marked == (column in spec.identifiers), (name, column)
        if spec.identifiers:
            assert "Identifying columns (read to count patients and link records, never published)" in section
        else:
            assert "No identifying column." in section
        if spec.patient_column:
            assert f"`--nhs-numbers {name}`" in section

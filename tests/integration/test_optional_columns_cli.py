"""Data minimisation as an analyst meets it: an immunoglobulin extract without patient_id (ITP never reads it)
validates, says which scheme cannot run without it, runs immune thrombocytopenia to the figures of the same extract
with the column, and a myositis run fails naming the scheme, the table and the column."""
from __future__ import annotations

import pandas as pd
import pytest
from cli_run import invoke, says

from ivanalysis.data.synth import generate
from ivanalysis.results import read_results
from ivanalysis.schemes import registry

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def extracts(tmp_path_factory):
    """The immunoglobulin and high-cost drug tables at 1 % of national volumes, and the same without patient_id."""
    whole = tmp_path_factory.mktemp("whole")
    generate(whole, scale=0.01, fmt="csv", tables=["immunoglobulin", "hcd_invoices"])
    no_id = tmp_path_factory.mktemp("no_patient_id")
    pd.read_csv(whole / "immunoglobulin.csv", dtype=str).drop(columns="patient_id").to_csv(
        no_id / "immunoglobulin.csv", index=False)
    (no_id / "hcd_invoices.csv").write_bytes((whole / "hcd_invoices.csv").read_bytes())
    return whole, no_id


def test_immunoglobulin_itp_runs_on_an_extract_without_patient_id(build_dir, extracts):
    whole, no_id = extracts
    checked = invoke("validate", "--data-dir", str(no_id))
    assert checked.exit_code == 0, checked.output
    says(checked, "ok immunoglobulin: immunoglobulin.csv", "lacks: patient_id",
         "these schemes cannot run on it: myositis_rituximab (patient_id)")

    run = invoke("run", "immunoglobulin_itp", "-g", "ENG", "--data-dir", str(no_id))
    assert run.exit_code == 0, run.output
    got = read_results(build_dir / "runs" / "immunoglobulin_itp" / "ENG" / "results.json")
    same = registry.analyse("immunoglobulin_itp", "ENG", whole)  # the extract with patient_id
    assert got.opportunity_gbp.moderate == pytest.approx(same.opportunity_gbp.moderate)
    assert got.opportunity_gbp.moderate > 0

    failed = invoke("run", "myositis_rituximab", "-g", "ENG", "--data-dir", str(no_id))
    assert failed.exit_code == 1
    says(failed, "immunoglobulin has no column patient_id, which myositis_rituximab needs to tell one patient from "
                 "another (any pseudonymised identifier will do)")

"""The disclosure scan reads a run's table files (CSV and Parquet) as a reader would: every count is 0, a multiple of 5
or empty, and empty wherever it is flagged as suppressed. Planted leaks are found; a controlled table passes."""
from __future__ import annotations

import pandas as pd
import pytest

from ivanalysis.pipeline.scan import disclosure_findings, identifier_findings, table_counts
from ivanalysis.report.table_data import table_data, table_stem, write_table
from ivanalysis.results import Table

pytestmark = pytest.mark.unit


def _table() -> Table:
    return Table("Providers", pd.DataFrame({"Provider": ["P1", "P2", "P3"], "Patients": [12, 3, 0],
                                            "Treated": [9, 1, 0], "Share": [0.75, 1 / 3, float("nan")]}),
                 counts=("Patients", "Treated"), rates={"Share": ("Treated", "Patients")})


def test_a_controlled_table_passes_and_every_count_is_read(tmp_path):
    run = tmp_path / "_build" / "runs" / "s" / "LON"
    run.mkdir(parents=True)
    write_table(run, table_stem("s", "LON", "providers"), table_data(_table(), controlled=True, synthetic=True))
    for suffix in (".csv", ".parquet"):
        counts = table_counts(run / f"s_LON_providers{suffix}")
        assert counts == [("Patients (count)", "10", False), ("Patients (count)", "", True),
                          ("Patients (count)", "0", False), ("Treated (count)", "10", False),
                          ("Treated (count)", "", True), ("Treated (count)", "0", False)], suffix
    assert disclosure_findings(tmp_path / "_build") == []


def test_planted_leaks_in_table_files_are_found(tmp_path):
    build = tmp_path / "_build"
    run, england = build / "runs" / "s" / "LON", build / "runs" / "s" / "ENG"
    run.mkdir(parents=True), england.mkdir(parents=True)
    # England's figures are not controlled: its files are not scanned for counts
    write_table(england, "s_ENG_providers", table_data(_table(), controlled=False, synthetic=True))
    # a hub's table written without control, and a CSV whose flagged cell still shows its count
    write_table(run, "s_LON_providers", table_data(_table(), controlled=False, synthetic=True))
    (run / "s_LON_years.csv").write_text('"# a note"\nYear,Patients (count),Patients (count) suppressed\n'
                                         "2017/18,4,True\n2018/19,12,False\n2019/20,,True\n", encoding="utf-8")
    problems = sorted(str(f) for f in disclosure_findings(build))
    assert problems == [
        "runs/s/LON/s_LON_providers.csv: count in 'Patients (count)' shows '12'",
        "runs/s/LON/s_LON_providers.csv: count in 'Patients (count)' shows '3'",
        "runs/s/LON/s_LON_providers.csv: count in 'Treated (count)' shows '1'",
        "runs/s/LON/s_LON_providers.csv: count in 'Treated (count)' shows '9'",
        "runs/s/LON/s_LON_providers.parquet: count in 'Patients (count)' shows '12'",
        "runs/s/LON/s_LON_providers.parquet: count in 'Patients (count)' shows '3'",
        "runs/s/LON/s_LON_providers.parquet: count in 'Treated (count)' shows '1'",
        "runs/s/LON/s_LON_providers.parquet: count in 'Treated (count)' shows '9'",
        "runs/s/LON/s_LON_years.csv: count in 'Patients (count)' shows '12'",
        "runs/s/LON/s_LON_years.csv: suppressed count in 'Patients (count)' shows '4'"]


def test_an_unreadable_table_file_is_a_finding_and_parquet_text_is_scanned_for_identifiers(tmp_path):
    build = tmp_path / "_build"
    run = build / "runs" / "s" / "LON"
    run.mkdir(parents=True)
    (run / "s_LON_broken.parquet").write_bytes(b"not parquet")
    assert [f.problem.startswith("cannot be checked") for f in disclosure_findings(build)] == [True]
    (run / "s_LON_broken.parquet").unlink()
    frame = _table().frame.assign(Provider=["P1", "9434765919", "P3"])
    write_table(run, "s_LON_providers", table_data(Table("T", frame), controlled=True, synthetic=True))
    data = tmp_path / "data"
    data.mkdir()
    pd.DataFrame({"patient_id": ["9434765919"], "x": [1]}).to_csv(data / "immunoglobulin.csv", index=False)
    found = sorted(f.artefact for f in identifier_findings(build, data))
    assert found == ["runs/s/LON/s_LON_providers.csv", "runs/s/LON/s_LON_providers.parquet"]

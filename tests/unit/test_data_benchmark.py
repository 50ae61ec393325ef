"""Benchmark data beside an extract (--benchmark-data): the extract's providers from the extract, every other provider
from the benchmark folder; identifiers that would be shared refused; the mapping applied to the extract only."""
from __future__ import annotations

import pandas as pd
import pytest

from ivanalysis.data.benchmark import BENCHMARK, combine, is_benchmark
from ivanalysis.data.coverage import run_coverage
from ivanalysis.data.io import load_extract, load_table
from ivanalysis.data.mapping import COLUMNS
from ivanalysis.data.schemas import TABLES
from ivanalysis.errors import DataError
from ivanalysis.geography import load_geography
from ivanalysis.results import Period

pytestmark = pytest.mark.unit

RT = TABLES["radiotherapy"]
GEO = load_geography()
LON, NW = GEO.get("LON").providers[:2], GEO.get("NW").providers[:2]


def courses(providers, prefix: str, per_provider: int = 2, dose: str = "60") -> pd.DataFrame:
    rows = [{"course_id": f"{prefix}{p}-{i}", "provider_code": p, "patient_id": f"{prefix}{p}-{i}",
             "start_date": "2017-06-01", "diagnosis": "C61", "intent": "radical", "modality": "external_beam",
             "dose_gy": dose, "fractions": "20"}
            for p in providers for i in range(per_provider)]
    return pd.DataFrame(rows)


def test_the_extracts_providers_replace_theirs_in_the_benchmark():
    local = courses([LON[0]], "L", per_provider=3, dose="74")
    national = courses([LON[0], LON[1], NW[0]], "N")
    both = combine(local, national, RT)
    by = both.groupby("provider_code").size().to_dict()
    assert by == {LON[0]: 3, LON[1]: 2, NW[0]: 2}  # LON[0]'s two benchmark rows gave way to the extract's three
    assert set(both.loc[both["provider_code"] == LON[0], "dose_gy"]) == {"74"}


def test_a_record_identifier_in_both_is_refused():
    local = courses([LON[0]], "X")
    national = courses([NW[0]], "X")
    national["course_id"] = local["course_id"].to_numpy()  # two different records, one id
    with pytest.raises(DataError, match=r"2 value\(s\) of its identifier 'course_id' are both in your extract"):
        combine(local, national, RT)
    assert len(combine(local.drop(columns="course_id"), national.drop(columns="course_id"), RT)) == 4  # not read


def test_without_benchmark_data_a_folder_is_read_as_it_is(monkeypatch, tmp_path):
    monkeypatch.delenv(BENCHMARK, raising=False)
    assert is_benchmark(tmp_path)
    monkeypatch.setenv(BENCHMARK, str(tmp_path))
    assert is_benchmark(tmp_path) and not is_benchmark(tmp_path / "other")


@pytest.fixture
def folders(tmp_path, monkeypatch):
    local, bench = tmp_path / "extract", tmp_path / "england"
    local.mkdir()
    bench.mkdir()
    courses(LON, "L").rename(columns={"provider_code": "ORG_CODE"}).to_csv(local / "radiotherapy.csv", index=False)
    every = [h.providers[0] for h in GEO.hubs()]  # LON[0] among them
    courses(every, "N").to_csv(bench / "radiotherapy.csv", index=False)
    (tmp_path / "mapping.yaml").write_text("radiotherapy:\n  ORG_CODE: provider_code\n", encoding="utf-8")
    monkeypatch.setenv(COLUMNS, str(tmp_path / "mapping.yaml"))
    monkeypatch.setenv(BENCHMARK, str(bench))
    return local, bench


def test_a_table_is_read_from_both_folders_the_mapping_for_the_extract_only(folders):
    local, bench = folders
    df = load_table(local, "radiotherapy", GEO, ["provider_code", "start_date"])
    assert list(df.columns) == ["provider_code", "start_date"]
    by = df.groupby("provider_code").size()
    assert by[LON[0]] == 2 and by[LON[1]] == 2  # the extract's (the benchmark's LON[0] rows replaced)
    assert df["provider_code"].nunique() == 11  # LON's two and the first provider of the 9 other hubs
    assert len(load_extract(local, "radiotherapy", GEO)) == 4
    assert len(load_table(bench, "radiotherapy", GEO)) == 2 * 10  # the benchmark read as it is


def test_the_page_says_where_englands_rows_come_from(folders):
    local, bench = folders
    coverage = run_coverage(local, ["radiotherapy"], Period.financial_year("2017/18"), GEO.get("LON"), GEO,
                            annualise=True)  # one month of data: annualised, so that it is accepted
    assert coverage.sources == (("radiotherapy", 2, 9, "providers"),)
    assert coverage.tables[0].hubs_without == ()  # England is whole again
    said = coverage.warnings()[0]
    assert said.startswith(f"**Benchmark data.** England on this page is your extract's providers with every other "
                           f"provider's rows from the benchmark data in {bench} (radiotherapy: 2 providers from your "
                           "extract, 9 from the benchmark data).")

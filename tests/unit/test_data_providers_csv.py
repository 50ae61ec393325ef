"""An analyst's providers (--providers providers.csv: code, name, hub) merged with params/geography.yaml, each row
checked, instead of editing the YAML by hand; an extract's new provider then validates."""
from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from ivanalysis.config import GeographyFile
from ivanalysis.data.io import validate_table
from ivanalysis.data.schemas import TABLES
from ivanalysis.errors import ConfigError, DataError
from ivanalysis.geography import PROVIDERS, Geography, load_geography, with_providers

pytestmark = pytest.mark.unit

SPEC = GeographyFile.model_validate({
    "england": {"code": "ENG", "name": "England"},
    "regions": [{"code": "R1", "name": "Region one"}],
    "hubs": [{"code": "H1", "name": "Hub one", "region": "R1", "population": 100},
             {"code": "H2", "name": "Hub two", "region": "R1", "population": 200}],
    "providers": [{"code": "P1", "hub": "H1", "name": "Old name"}, {"code": "P2", "hub": "H2"}],
})


def csv_file(tmp_path, text: str):
    path = tmp_path / "providers.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_new_providers_join_their_hubs(tmp_path):
    geo = Geography(with_providers(SPEC, csv_file(tmp_path, "code,name,hub\nRAB,Royal Example Trust,H1\nRCD,,H2\n")))
    assert geo.provider_hub == {"P1": "H1", "P2": "H2", "RAB": "H1", "RCD": "H2"}
    assert geo.get("H1").providers == ("P1", "RAB")
    assert geo.provider_name["RAB"] == "Royal Example Trust" and geo.provider_name["RCD"] == "RCD"
    assert len(geo.england.providers) == 4


def test_a_provider_already_listed_may_be_named_in_its_own_hub(tmp_path):
    geo = Geography(with_providers(SPEC, csv_file(tmp_path, "code,name,hub\nP1,New name,H1\n")))
    assert geo.provider_name["P1"] == "New name" and list(geo.provider_hub) == ["P1", "P2"]


@pytest.mark.parametrize(("text", "words"), [
    ("code,name,hub\nRAB,X,H9\n", "line 2: hub 'H9' of provider RAB is not a hub of the geography (H1, H2)"),
    ("code,name,hub\nRAB,X,H1\nRAB,Y,H1\n", "line 3: provider RAB is listed twice"),
    ("code,name,hub\nP1,X,H2\n", "line 2: provider P1 is in hub H1 in the geography file, not H2"),
    ("code,name,hub\n../etc,X,H1\n", "line 2: code '../etc' must be up to 40 letters"),
    ("code,name\nRAB,X\n", "column(s) hub missing: the header must be code,name,hub (found code,name)"),
    ("code,name,hub\n", "no providers"),
])
def test_a_wrong_row_is_refused_naming_its_line(tmp_path, text, words):
    path = csv_file(tmp_path, text)
    with pytest.raises(ConfigError) as e:
        with_providers(SPEC, path)
    assert words in str(e.value) and str(path) in str(e.value)


def test_the_environment_names_the_file_and_a_changed_file_is_read_again(tmp_path, monkeypatch):
    hub = load_geography().hubs()[0]
    path = csv_file(tmp_path, f"code,name,hub\nRNEW1,New trust,{hub.code}\n")
    monkeypatch.setenv(PROVIDERS, str(path))
    assert load_geography().provider_hub["RNEW1"] == hub.code
    path.write_text(f"code,name,hub\nRNEW2,Newer trust,{hub.code}\n", encoding="utf-8")
    os.utime(path, ns=(1, 1))  # another modification time, as an edit a second later would give
    geo = load_geography()
    assert "RNEW2" in geo.provider_hub and "RNEW1" not in geo.provider_hub
    monkeypatch.delenv(PROVIDERS)
    assert "RNEW2" not in load_geography().provider_hub
    monkeypatch.setenv(PROVIDERS, str(tmp_path / "nope.csv"))
    with pytest.raises(ConfigError, match="does not exist"):
        load_geography()


def test_an_extracts_new_provider_validates_once_listed(tmp_path, monkeypatch):
    hub = load_geography().hubs()[0]
    rows = pd.DataFrame([{"course_id": "RT1", "provider_code": "RNEW1", "patient_id": "P1",
                          "start_date": "2017-05-02", "diagnosis": "C61", "intent": "radical",
                          "modality": "external_beam", "dose_gy": "60", "fractions": "20"}])
    with pytest.raises(DataError, match=r"provider listed in params/geography.yaml \(or in --providers"):
        validate_table(rows, TABLES["radiotherapy"], Path("radiotherapy.csv"), load_geography())
    monkeypatch.setenv(PROVIDERS, str(csv_file(tmp_path, f"code,name,hub\nRNEW1,New trust,{hub.code}\n")))
    assert len(validate_table(rows, TABLES["radiotherapy"], Path("radiotherapy.csv"), load_geography())) == 1

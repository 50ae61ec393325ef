"""`ivanalysis build --scheduler`: the runs go to a real Dask cluster (on loopback here) and give the local results."""
from __future__ import annotations

import json

import pytest

from ivanalysis.pipeline.build import build_all
from ivanalysis.pipeline.plan import plan

pytestmark = pytest.mark.integration
distributed = pytest.importorskip("distributed")

SAMPLE = (["prostate_fractionation", "immunoglobulin_itp"], ["ENG", "LON"])


def _results(monkeypatch, build, data, **kwargs) -> dict:
    monkeypatch.setenv("IVANALYSIS_BUILD_DIR", str(build))
    assert build_all(*SAMPLE, jobs=1, data_dir=data, book_too=False, force=True, **kwargs)
    return {s.label: json.loads((s.run_dir / "results.json").read_text()) for s in plan(*SAMPLE, data_dir=data)}


def test_runs_on_a_dask_cluster_equal_local_runs(monkeypatch, tmp_path, tiny_data):
    local = _results(monkeypatch, tmp_path / "local" / "_build", str(tiny_data))
    url = tiny_data.resolve().as_uri()  # file:///...: data addressed by an fsspec URL, as workers elsewhere would
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as cluster:
        remote = _results(monkeypatch, tmp_path / "dask" / "_build", url, scheduler=cluster.scheduler_address)
    assert remote.keys() == local.keys()
    for label, r in local.items():
        d = remote[label]
        assert d["opportunity_gbp"] == r["opportunity_gbp"] and d["kpis"] == r["kpis"], label
        assert d["provenance"]["inputs"]["radiotherapy" if "prostate" in label else "immunoglobulin"]["sha256"] == \
            r["provenance"]["inputs"]["radiotherapy" if "prostate" in label else "immunoglobulin"]["sha256"]
        assert d["provenance"]["parameters"]["data_dir"] == url


def test_an_unreachable_scheduler_is_a_clear_error(monkeypatch, tmp_path, tiny_data):
    from ivanalysis.errors import ConfigError
    from ivanalysis.pipeline import build

    monkeypatch.setenv("IVANALYSIS_BUILD_DIR", str(tmp_path / "_build"))
    monkeypatch.setattr(build, "SCHEDULER_TIMEOUT_S", 1)  # nothing listens on port 9: no need to try for 10 s
    with pytest.raises(ConfigError, match="cannot reach the Dask scheduler at tcp://127.0.0.1:9"):
        build_all(["prostate_fractionation"], ["LON"], jobs=1, data_dir=tiny_data, book_too=False,
                  scheduler="tcp://127.0.0.1:9")

"""`ivanalysis synth --null`: units' effects become England's, the default data do not change, and the manifest says
which set it is."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from ivanalysis.data.io import MANIFEST
from ivanalysis.data.synth import GENERATORS, generate
from ivanalysis.data.synth.common import (
    calibrated_propensities,
    differences,
    is_null,
    null_data,
    provider_sizes,
    rng_for,
)
from ivanalysis.geography import load_geography

pytestmark = pytest.mark.unit


def test_differences_as_drawn_or_englands():
    drawn = np.array([0.2, -0.1])
    series = pd.Series([1.3, 0.8], index=["A", "B"], name="level")
    assert differences(drawn, 0.0) is drawn and not is_null()
    with null_data():
        assert is_null()
        assert differences(drawn, 0.0).tolist() == [0.0, 0.0]
        assert differences(series, 1.0).to_dict() == {"A": 1.0, "B": 1.0}
        assert differences(series, 1.0).name == "level"
        assert differences({"A": 3.0, "B": 4.0}, 2.5) == {"A": 2.5, "B": 2.5}
        assert differences(0.7, 0.5) == 0.5
        with null_data(False):  # nested: off again, then back
            assert not is_null()
        assert is_null()
    assert not is_null()


def test_calibrated_propensities_are_the_target_everywhere_in_null_data():
    weights = pd.Series([1.0, 2.0, 3.0], index=["A", "B", "C"])
    varied = calibrated_propensities(rng_for(1, "t"), weights, 0.3, 0.8)
    assert varied.std() > 0.05 and float((varied * weights).sum() / weights.sum()) == pytest.approx(0.3)
    with null_data():
        same = calibrated_propensities(rng_for(1, "t"), weights, 0.3, 0.8)
    assert same.to_numpy() == pytest.approx([0.3] * 3)


def test_null_area_spend_has_no_more_spread_than_chance():
    # every area at England's spells per head of need-weighted population: counts vary as Poisson alone, so the
    # dispersion (Pearson chi-squared over degrees of freedom) of each programme's spells is about 1, against more
    # by default (area, hub and need effects; at this small scale chance is much of the spread even then)
    geo = load_geography()
    sizes = provider_sizes(geo, 2019)
    areas = geo.area_table()

    def dispersion(df: pd.DataFrame) -> pd.Series:
        spells = df.groupby(["programme", "area_code"]).size().unstack(fill_value=0).reindex(columns=areas.index,
                                                                                              fill_value=0)
        w = areas["weighted_population"].to_numpy()
        expected = spells.sum(axis=1).to_numpy()[:, None] * w / w.sum()
        return pd.Series(((spells.to_numpy() - expected) ** 2 / expected).sum(axis=1) / (len(w) - 1),
                         index=spells.index)

    with null_data():
        null = dispersion(GENERATORS["area_spend"](geo, sizes, 2019, 0.02))
    default = dispersion(GENERATORS["area_spend"](geo, sizes, 2019, 0.02))
    assert null.between(0.6, 1.5).all(), null
    assert default.mean() > null.mean() + 0.5 and default.max() > 5, default


def test_null_flag_in_the_manifest_and_tables_kept_only_from_the_same_kind_of_set(tmp_path):
    generate(tmp_path, scale=0.01, tables=["births", "bed_days"])
    assert "null" not in json.loads((tmp_path / MANIFEST).read_text())  # the default manifest is as it always was
    generate(tmp_path, scale=0.01, tables=["births"], null=True)
    m = json.loads((tmp_path / MANIFEST).read_text())
    assert m["null"] and list(m["tables"]) == ["births"]  # bed_days came from default data: not listed as null

"""How a build hands runs to its workers: a scheme's runs stay on one worker (its warm kernel then loads the scheme's
tables and computes its national part once), the heaviest scheme first, and every run is handed out once."""
from __future__ import annotations

from concurrent.futures import BrokenExecutor, Future

import pytest

from ivanalysis.pipeline import execute
from ivanalysis.pipeline.execute import SchemeLanes, _SchemeQueue
from ivanalysis.pipeline.plan import RunSpec

pytestmark = pytest.mark.unit

GEOS = ["ENG", "LON", "SW"]
# bytes of each scheme's input files: enhanced supportive care reads the most, prostate fractionation the least
SIZES = {"admissions": 900, "esc_services": 100, "radiotherapy": 50, "immunoglobulin": 300}


def _todo(schemes: list[str]) -> list[tuple[RunSpec, str]]:
    return [(RunSpec(s, g, "moderate", "/data", None, f"/nb/{s}.ipynb"), f"key-{s}-{g}") for s in schemes for g in GEOS]


@pytest.fixture(autouse=True)
def _sizes(monkeypatch):
    monkeypatch.setattr(execute, "_table_bytes", lambda data_dir, table: SIZES[table])


def test_heaviest_scheme_first_and_each_lane_keeps_its_scheme():
    queue = _SchemeQueue(_todo(["prostate_fractionation", "immunoglobulin_itp", "enhanced_supportive_care"]))
    assert list(queue.groups) == ["enhanced_supportive_care", "immunoglobulin_itp", "prostate_fractionation"]
    lane0 = [queue.next_for(0)[0] for _ in range(3)]
    lane1 = [queue.next_for(1)[0] for _ in range(2)]
    assert [(s.scheme, s.geography) for s in lane0] == [("enhanced_supportive_care", g) for g in GEOS]
    assert [(s.scheme, s.geography) for s in lane1] == [("immunoglobulin_itp", "ENG"), ("immunoglobulin_itp", "LON")]
    # lane 0's scheme is done: it starts the scheme no lane has started, rather than share lane 1's
    assert queue.next_for(0)[0].scheme == "prostate_fractionation"


def test_at_the_end_a_free_lane_helps_with_the_scheme_that_has_most_runs_left():
    queue = _SchemeQueue(_todo(["prostate_fractionation", "enhanced_supportive_care"]))
    assert queue.next_for(0)[0].scheme == "enhanced_supportive_care"
    assert queue.next_for(1)[0].scheme == "prostate_fractionation"
    for _ in range(2):
        queue.next_for(1)  # lane 1 finishes prostate fractionation
    helped = queue.next_for(1)[0]
    assert (helped.scheme, helped.geography) == ("enhanced_supportive_care", "LON")
    assert queue.next_for(0)[0].geography == "SW"
    assert queue.next_for(0) is None and queue.next_for(1) is None


def test_every_run_is_handed_out_exactly_once():
    todo = _todo(["prostate_fractionation", "immunoglobulin_itp", "enhanced_supportive_care"])
    queue = _SchemeQueue(todo)
    handed = []
    lane = 0
    while (item := queue.next_for(lane)) is not None:
        handed.append(item)
        lane = (lane + 1) % 3
    assert sorted(handed, key=repr) == sorted(todo, key=repr)


class _Broken:
    def submit(self, fn, *args, **kwargs):
        raise BrokenExecutor("its worker died")

    def shutdown(self, wait=True, *, cancel_futures=False):
        pass


class _Inline(_Broken):
    def submit(self, fn, *args, **kwargs):
        fut = Future()
        fut.set_result(fn(*args, **kwargs))
        return fut


def test_a_lane_whose_worker_died_gets_a_new_one():
    made = [_Broken(), _Inline(), _Inline()]
    lanes = SchemeLanes(2, lambda: made.pop(0))
    assert lanes.submit_to(0, lambda x: x + 1, 41).result() == 42
    assert len(made) == 0 and isinstance(lanes.lanes[0], _Inline)

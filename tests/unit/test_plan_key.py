"""A run's cache key hashes the package source a run can depend on, and not the modules only the book uses."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from ivanalysis.paths import ROOT
from ivanalysis.pipeline import plan

pytestmark = pytest.mark.unit

# what a run imports: the worker's side (execute, warm kernel) and the kernel's (a scheme page, every scheme)
RUN_IMPORTS = """
import json, sys
import ivanalysis.pipeline.execute, ivanalysis.pipeline.warm, ivanalysis.pipeline.plan
import ivanalysis.page, ivanalysis.report.charts
from ivanalysis.schemes import registry
for s in registry.implemented():
    registry.module(s.id)
print(json.dumps(sorted(m for m in sys.modules if m.startswith("ivanalysis"))))
"""


def test_a_run_imports_none_of_the_modules_left_out_of_its_key():
    out = subprocess.run([sys.executable, "-c", RUN_IMPORTS], cwd=ROOT, capture_output=True, text=True, check=True)
    imported = {m.replace("ivanalysis.", "", 1).replace(".", "/") for m in json.loads(out.stdout)}
    left_out = [m for m in imported if any((m + ".py").startswith(p) or (m + "/").startswith(p)
                                           for p in plan.NOT_IN_RUNS)]
    assert not left_out, f"a run imports {left_out}, which the run cache key leaves out (plan.NOT_IN_RUNS)"


def test_the_key_covers_the_analysis_but_not_the_book():
    names = {p.relative_to(ROOT / "ivanalysis").as_posix() for p in plan.run_sources()}
    assert {"page/scheme_page.py", "schemes/registry.py", "stats/funnel.py", "data/io.py", "pipeline/execute.py",
            "pipeline/warm.py"} <= names
    assert not names & {"pipeline/book.py", "pipeline/packs.py", "report/sphinx_html.py", "cli.py"}
    assert not any(n.startswith("data/synth/") for n in names)

"""Two builds' runs compared (test_determinism.py, test_warm.py)."""
from __future__ import annotations

import json
from pathlib import Path


def results_less_code_version(run: Path) -> dict:
    """A run's results.json as published, but for the code version it records: a commit made while the tests run
    (in a working copy, not in CI) changes it, and that is provenance, not a result."""
    data = json.loads((run / "results.json").read_text(encoding="utf-8"))
    for key in ("git_commit", "git_dirty"):
        data["provenance"].pop(key)
    return data

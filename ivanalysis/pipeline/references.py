"""Refresh the committed reference notebooks: England, the default (synthetic) data, executed in place.

nbval then re-executes them in CI and compares every text, HTML and Markdown output with what is stored here.
"""
from __future__ import annotations

from pathlib import Path

import nbformat
from nbclient import NotebookClient

from ..paths import ROOT
from ..schemes import registry


def refresh(schemes: list[str] | None = None) -> list[Path]:
    infos = [registry.get(s) for s in schemes] if schemes else registry.implemented()
    done = []
    for info in infos:
        path = registry.notebook_path(info)
        nb = nbformat.read(path, as_version=4)
        NotebookClient(nb, kernel_name="python3", timeout=900, resources={"metadata": {"path": str(ROOT)}},
                       extra_arguments=["--IPKernelApp.log_level=CRITICAL"]).execute()
        for cell in nb.cells:  # execution timing metadata would make every refresh a diff
            cell.metadata.pop("execution", None)
        nbformat.write(nb, path)
        done.append(path)
    return done

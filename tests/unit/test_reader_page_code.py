"""A run page shows a reader the analysis, not its code: every code cell's input is removed from the page (no
"Show code cell source" toggle), its outputs are kept, and the downloadable notebook still holds the code."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.unit


def test_finished_notebook_removes_code_inputs_and_keeps_outputs(tmp_path, build_dir):
    import nbformat

    from ivanalysis.pipeline import execute
    from ivanalysis.pipeline.plan import RunSpec

    shown = nbformat.v4.new_code_cell("page.summary()", metadata={"tags": ["hide-input"]},  # as committed
                                      outputs=[nbformat.v4.new_output("display_data", {"text/plain": "KPIs"})])
    untagged = nbformat.v4.new_code_cell("x = 1")
    injected = nbformat.v4.new_code_cell('geography = "LON"\noutput_dir = "/tmp/x"',
                                         metadata={"tags": ["injected-parameters"]})
    parameters = nbformat.v4.new_code_cell('geography = "ENG"', metadata={"tags": ["parameters"]})
    removed = nbformat.v4.new_code_cell("secret()", metadata={"tags": ["remove-cell"]})
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Title"), parameters, injected, shown,
                                         untagged, removed])
    path = tmp_path / "LON.ipynb"
    nbformat.write(nb, path)

    execute._finish_notebook(path, RunSpec("prostate_fractionation", "LON", "moderate", str(tmp_path), None, "x"))

    cells = [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]
    tags = [c.metadata["tags"] for c in cells]
    assert tags == [["parameters", "remove-cell"], ["injected-parameters", "remove-input"], ["remove-input"],
                    ["remove-input"], ["remove-cell"]]
    assert not any("hide-input" in t for t in tags)
    # the code stays in the notebook a reader can download, and the outputs stay on the page
    assert [c.source for c in cells][2:] == ["page.summary()", "x = 1", "secret()"]
    assert cells[2].outputs[0]["data"]["text/plain"] == "KPIs"

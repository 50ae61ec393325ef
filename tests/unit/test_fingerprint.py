"""What a build reads, as one digest (pipeline/fingerprint.py): a warm build with nothing changed does nothing, so
every input of the book and of the runs must change the digest, and what a build rewrites unchanged must not."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from ivanalysis.pipeline import fingerprint

pytestmark = pytest.mark.unit


@pytest.fixture
def project(tmp_path, monkeypatch) -> dict[str, Path]:
    """A project of its own: package, parameters, book, notebooks, runs, data and the build folder in tmp_path, a
    fixed git state, and no IVANALYSIS_ setting but the build folder."""
    where = {name: tmp_path / name for name in ("package", "params", "book", "notebooks", "data")}
    for folder in where.values():
        folder.mkdir()
    (where["package"] / "book.py").write_text("x = 1\n")
    (where["params"] / "levers.yaml").write_text("a: 1\n")
    (where["book"] / "intro.md").write_text("# Intro\n")
    (where["notebooks"] / "18_prostate_fractionation.ipynb").write_text("{}")
    (where["data"] / "radiotherapy.parquet").write_bytes(b"rows")
    (where["data"] / "MANIFEST.json").write_text("{}")
    where["runs"] = tmp_path / "_build" / "runs" / "prostate_fractionation" / "LON"
    where["runs"].mkdir(parents=True)
    (where["runs"] / "results.json").write_text("{}")
    for name, attr in (("package", "PACKAGE_DIR"), ("params", "PARAMS_DIR"), ("book", "BOOK_SRC_DIR"),
                       ("notebooks", "NOTEBOOKS_DIR")):
        monkeypatch.setattr(fingerprint, attr, where[name])
    monkeypatch.setattr(fingerprint, "ROOT", tmp_path)
    monkeypatch.setattr(fingerprint, "_git_state", lambda: "# branch.oid abc\n")
    for key in [k for k in os.environ if k.startswith("IVANALYSIS_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("IVANALYSIS_BUILD_DIR", str(tmp_path / "_build"))
    return where


def later(path: Path, content: str | bytes | None = None) -> None:
    """Rewrite a file (with the same content by default) and move its time on, as a later write would."""
    data = path.read_bytes() if content is None else content.encode() if isinstance(content, str) else content
    path.write_bytes(data)
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))


def test_the_same_inputs_give_the_same_digests(project):
    assert fingerprint.book_inputs(project["data"]) == fingerprint.book_inputs(project["data"])
    assert fingerprint.build_inputs(project["data"], ("a",)) == fingerprint.build_inputs(project["data"], ("a",))


@pytest.mark.parametrize("changed", ["package", "params", "book", "runs"])
def test_any_file_the_book_reads_changes_both_digests(project, changed):
    book, build = fingerprint.book_inputs(project["data"]), fingerprint.build_inputs(project["data"], None)
    later(next(project[changed].iterdir()))
    assert fingerprint.book_inputs(project["data"]) != book
    assert fingerprint.build_inputs(project["data"], None) != build


def test_a_new_run_file_and_a_failure_beside_a_run_change_the_book(project):
    book = fingerprint.book_inputs(project["data"])
    (project["runs"] / "last_failure.json").write_text("{}")
    assert fingerprint.book_inputs(project["data"]) != book


def test_what_only_the_runs_read_changes_the_build_not_the_book(project):
    """The data's tables and the notebooks' cells are read by the runs: a run whose output changed changes its run
    folder, which the book reads."""
    book, build = fingerprint.book_inputs(project["data"]), fingerprint.build_inputs(project["data"], None)
    later(project["data"] / "radiotherapy.parquet", b"other rows")
    later(project["notebooks"] / "18_prostate_fractionation.ipynb")
    assert fingerprint.book_inputs(project["data"]) == book
    assert fingerprint.build_inputs(project["data"], None) != build


def test_the_runs_asked_for_change_the_build(project):
    assert fingerprint.build_inputs(project["data"], (["prostate_fractionation"], None, "moderate")) \
        != fingerprint.build_inputs(project["data"], (None, None, "moderate"))


def test_a_notebook_that_leaves_takes_its_scheme_out_of_the_book(project):
    book = fingerprint.book_inputs(project["data"])
    (project["notebooks"] / "18_prostate_fractionation.ipynb").unlink()
    assert fingerprint.book_inputs(project["data"]) != book


def test_the_data_sets_manifest_and_folder_change_the_book(project, tmp_path):
    book = fingerprint.book_inputs(project["data"])
    later(project["data"] / "MANIFEST.json", '{"seed": 1}')
    assert fingerprint.book_inputs(project["data"]) != book
    other = tmp_path / "other"
    other.mkdir()
    assert fingerprint.book_inputs(other) != fingerprint.book_inputs(project["data"])


def test_the_audit_rewritten_unchanged_changes_nothing_and_a_new_result_does(project, tmp_path):
    audit = tmp_path / "_build" / "audit.json"
    audit.write_text('{"status": "clean"}')
    book = fingerprint.book_inputs(project["data"])
    later(audit)  # `ivanalysis audit` saves the day's result again
    assert fingerprint.book_inputs(project["data"]) == book
    later(audit, '{"status": "vulnerable"}')
    assert fingerprint.book_inputs(project["data"]) != book


def test_a_commit_or_a_changed_tracked_file_changes_the_book(project, monkeypatch):
    """The status page says the commit and whether the working tree had changes."""
    book = fingerprint.book_inputs(project["data"])
    monkeypatch.setattr(fingerprint, "_git_state", lambda: "# branch.oid abd\n")
    assert fingerprint.book_inputs(project["data"]) != book


def test_a_setting_and_the_file_it_names_change_the_book(project, tmp_path, monkeypatch):
    book = fingerprint.book_inputs(project["data"])
    providers = tmp_path / "providers.csv"
    providers.write_text("code,name,hub\n")
    monkeypatch.setenv("IVANALYSIS_PROVIDERS", str(providers))
    with_providers = fingerprint.book_inputs(project["data"])
    assert with_providers != book
    later(providers, "code,name,hub\nR1,,LON\n")
    assert fingerprint.book_inputs(project["data"]) != with_providers


def test_bytecode_and_runs_being_published_are_not_inputs(project, tmp_path):
    book = fingerprint.book_inputs(project["data"])
    (project["package"] / "__pycache__").mkdir()
    (project["package"] / "__pycache__" / "book.cpython-311.pyc").write_bytes(b"\0")
    (tmp_path / "_build" / "runs" / ".tmp").mkdir()
    (tmp_path / "_build" / "runs" / ".tmp" / "run.log").write_text("half")
    assert fingerprint.book_inputs(project["data"]) == book


def test_data_at_a_url_has_no_digest(project):
    assert fingerprint.book_inputs("s3://bucket/extract") is None
    assert fingerprint.build_inputs("s3://bucket/extract", None) is None


def test_a_record_is_read_back_and_a_missing_one_is_none(tmp_path):
    assert fingerprint.recorded(tmp_path / ".iv-x") is None
    fingerprint.record(tmp_path / ".iv-x", "abc 3")
    assert fingerprint.recorded(tmp_path / ".iv-x") == "abc 3"
    assert [p.name for p in tmp_path.iterdir()] == [".iv-x"]  # no temporary file left


def test_what_the_build_writes_beside_the_runs_is_not_an_input(project, tmp_path):
    """The published book (and the digests recorded in it), the validated tables' cache: the build folder is named
    by a setting, yet only its runs and the audit are inputs."""
    book = fingerprint.book_inputs(project["data"])
    (tmp_path / "_build" / "html").mkdir()
    fingerprint.record(tmp_path / "_build" / "html" / ".iv-build", "abc 1")
    (tmp_path / "_build" / "cache").mkdir()
    (tmp_path / "_build" / "cache" / "radiotherapy.parquet").write_bytes(b"typed rows")
    assert fingerprint.book_inputs(project["data"]) == book


def test_a_table_cache_kept_elsewhere_is_not_an_input(project, tmp_path, monkeypatch):
    """IVANALYSIS_TABLE_CACHE names where validated tables are kept (shared by build folders): neither the setting
    nor the tables it names change what a build reads."""
    book, build = fingerprint.book_inputs(project["data"]), fingerprint.build_inputs(project["data"], None)
    shared = tmp_path / "tables"
    shared.mkdir()
    monkeypatch.setenv("IVANALYSIS_TABLE_CACHE", str(shared))
    (shared / "radiotherapy-0123.parquet").write_bytes(b"typed rows")
    assert fingerprint.book_inputs(project["data"]) == book
    assert fingerprint.build_inputs(project["data"], None) == build


def test_the_data_folder_counts_however_it_was_named(project, monkeypatch):
    """`make book` names the data by IVANALYSIS_DATA_DIR, `ivanalysis build --data-dir` by an option: the same
    folder is the same input."""
    by_option = fingerprint.build_inputs(project["data"], None)
    monkeypatch.setenv("IVANALYSIS_DATA_DIR", str(project["data"]))
    assert fingerprint.build_inputs(project["data"], None) == by_option

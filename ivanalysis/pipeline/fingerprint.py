"""What a build reads, summed up in one digest without reading the files nor importing the analysis.

A warm `make book` with nothing changed should take a second, not the minutes of checking every run and staging
every page again. Each digest here covers everything its step reads: files by their identity (path, size and
modification time in nanoseconds, as `git status` tells a changed file), small files whose writer rewrites them
unchanged (the audit's result) by their content, and what the pages say about the machine (the commit, the installed
versions, the browser). A step whose digest equals the one recorded when it last succeeded has nothing to do: the
book (book_inputs, recorded in the published book) and the whole build (build_inputs, the book's digest with the
runs' own inputs). Anything the digest misses would leave the book stale, so it errs on the side of too much: every
file of the package, any IVANALYSIS_ setting, any change to the working tree that git sees.
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

from ..paths import BOOK_SRC_DIR, NOTEBOOKS_DIR, PARAMS_DIR, ROOT, build_dir, runs_dir
from .browser import chromium_path

PACKAGE_DIR = ROOT / "ivanalysis"
# never read by a build: bytecode, an editor's copies, runs being published
SKIPPED = {"__pycache__", ".ipynb_checkpoints", ".tmp"}


class Digest:
    """sha256 over named parts, each part's name and length said, so that no two different inputs hash alike."""

    def __init__(self, kind: str) -> None:
        self._h = hashlib.sha256(kind.encode())

    def add(self, name: str, value: str | bytes) -> None:
        data = value.encode() if isinstance(value, str) else value
        self._h.update(f"\0{name}\0{len(data)}\0".encode() + data)

    def tree(self, name: str, root: Path) -> None:
        """Every file under `root` (or the file `root`) by identity; a missing one says so."""
        self.add(name, "\n".join(_identities(root)))

    def content(self, name: str, path: Path) -> None:
        try:
            self.add(name, path.read_bytes())
        except OSError:
            self.add(name, "missing")

    def hexdigest(self) -> str:
        return self._h.hexdigest()


def _identities(root: Path) -> Iterable[str]:
    try:
        st = root.stat()
    except OSError:
        yield "missing"
        return
    if not root.is_dir():
        yield f". {st.st_size} {st.st_mtime_ns}"
        return
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED)
        rel = os.path.relpath(folder, root)
        for name in sorted(files):
            try:
                st = os.stat(os.path.join(folder, name))
            except OSError:  # removed while listed
                continue
            yield f"{rel}/{name} {st.st_size} {st.st_mtime_ns}"


def _git_state() -> str:
    """The commit and every tracked file that differs from it: the status page says the commit and whether the tree
    had changes (page.record.git_state), and a run page the same of its run."""
    try:
        return subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain=v2", "--branch", "--untracked-files=no"],
                              capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return "no git"


def _installed() -> str:
    """Python and the name and version of every installed distribution (the status page lists versions; Sphinx,
    matplotlib and openpyxl make the pages, charts and workbooks)."""
    names = [sys.version, sys.executable]
    for entry in sys.path:
        try:
            names += sorted(e.name for e in os.scandir(entry or ".") if e.name.endswith((".dist-info", ".egg-info")))
        except OSError:  # a zip file or a folder that is not there
            continue
    return "\n".join(names)


# Settings that are not inputs: where the build writes and keeps validated tables, the data folder (hashed as such
# however it was given: this setting or --data-dir), where tests leave files. The project's folder is an input by its
# name only (its files are hashed as the package, parameters, book and notebooks).
NOT_INPUTS = {"IVANALYSIS_BUILD_DIR", "IVANALYSIS_TABLE_CACHE", "IVANALYSIS_DATA_DIR", "IVANALYSIS_TEST_ARTIFACTS"}
BY_NAME = {"IVANALYSIS_ROOT"}


def _settings(d: Digest) -> None:
    """Every other IVANALYSIS_ setting (NHS numbers, part years, column mapping, providers, benchmark data,
    Chromium ...), and the file or folder any of them names."""
    for key in sorted(k for k in os.environ if k.startswith("IVANALYSIS_") and k not in NOT_INPUTS):
        value = os.environ[key].strip()
        d.add(key, value)
        if key not in BY_NAME and value and "://" not in value and os.path.exists(value):
            d.tree(f"{key} files", Path(value))


def code_inputs(parts: Iterable[str] | None = None) -> str:
    """The package's code (or the `parts` of it named, files and folders under the package's folder) and the
    installed versions: what a computation over the build's files depends on besides those files (the disclosure
    scan keeps each file's findings while this stays the same)."""
    d = Digest("code 1")
    if parts is None:
        d.tree("package", PACKAGE_DIR)
    else:
        for part in sorted(parts):
            d.tree(f"package/{part}", PACKAGE_DIR / part)
    d.add("installed", _installed())
    return d.hexdigest()


def book_inputs(data_dir: Path) -> str | None:
    """Everything staging the book reads (book.stage) and what builds it from the staged pages: the package's code
    and templates, the parameters, book/ and _config.yml, every run's folder, the data set's manifest and folder
    name, the audit's result, the git state, the installed versions and the browser. None for data at a URL (its
    manifest is not a local file): the book is staged every time."""
    if "://" in str(data_dir):
        return None
    d = Digest("book inputs 1")
    d.tree("package", PACKAGE_DIR)
    d.tree("params", PARAMS_DIR)
    d.tree("book", BOOK_SRC_DIR)
    d.tree("config", ROOT / "_config.yml")
    d.tree("runs", runs_dir())
    # a scheme is in the book when its notebook exists (schemes.registry.implemented); the cells are the runs' input
    d.add("notebooks", "\n".join(sorted(p.name for p in NOTEBOOKS_DIR.glob("*.ipynb"))))
    data = Path(data_dir).resolve()
    d.add("data folder", str(data))
    d.tree("manifest", data / "MANIFEST.json")
    d.content("audit", build_dir() / "audit.json")  # rewritten by every `ivanalysis audit`, the same all day
    d.add("git", _git_state())
    d.add("installed", _installed())
    d.add("chromium", str(chromium_path()))
    _settings(d)
    return d.hexdigest()


def build_inputs(data_dir: Path, selection: object) -> str | None:
    """book_inputs and what the runs read besides: the notebooks and every file of the data folder; `selection`
    (the runs asked for) as its repr. None when the book's digest is None."""
    book = book_inputs(data_dir)
    if book is None:
        return None
    d = Digest("build inputs 1")
    d.add("book", book)
    d.add("selection", repr(selection))
    d.tree("notebooks", NOTEBOOKS_DIR)
    d.tree("data", Path(data_dir).resolve())
    return d.hexdigest()


def recorded(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def record(path: Path, digest: str) -> None:
    """Write a digest beside what it describes, in one rename."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(digest + "\n", encoding="utf-8")
    tmp.replace(path)

"""Every path of the project hangs off one root, so the package behaves the same from any working directory."""
from __future__ import annotations

import os
from pathlib import Path


def project_root() -> Path:
    """The repository root: $IVANALYSIS_ROOT if set, else the folder holding this package (editable install)."""
    env = os.environ.get("IVANALYSIS_ROOT")
    if env:
        return Path(env).resolve()
    return Path(__file__).resolve().parent.parent


ROOT = project_root()
PARAMS_DIR = ROOT / "params"
NOTEBOOKS_DIR = ROOT / "notebooks"
BOOK_SRC_DIR = ROOT / "book"
DEFAULT_DATA_DIR = ROOT / "data" / "synthetic"


def build_dir() -> Path:
    """Where everything generated goes: $IVANALYSIS_BUILD_DIR (a folder named _build, as Jupyter Book requires)
    or <root>/_build. Read at each call, so tests and worker processes can point it elsewhere."""
    env = os.environ.get("IVANALYSIS_BUILD_DIR")
    path = Path(env).resolve() if env else ROOT / "_build"
    if path.name != "_build":
        raise ValueError(f"IVANALYSIS_BUILD_DIR must be a folder named _build, not {path}")
    return path


def table_cache_dir() -> Path:
    """Where validated tables are kept (ivanalysis.data.io): $IVANALYSIS_TABLE_CACHE, else _build/cache/tables. Each
    file is named by what was validated (the input's bytes, the rules, the geography), so build folders may share one
    folder and validate each table once between them."""
    env = os.environ.get("IVANALYSIS_TABLE_CACHE")
    return Path(env).resolve() if env else build_dir() / "cache" / "tables"


def runs_dir() -> Path:
    return build_dir() / "runs"


def html_dir() -> Path:
    """The published book."""
    return build_dir() / "html"


def default_data_dir() -> Path:
    """Where a run reads its tables when none is given: $IVANALYSIS_DATA_DIR, else the bundled synthetic set."""
    env = os.environ.get("IVANALYSIS_DATA_DIR")
    return Path(env).resolve() if env else DEFAULT_DATA_DIR

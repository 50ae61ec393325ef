"""`ivanalysis synth`: the deterministic synthetic data set, in exactly the schema a real extract has.

Each module of this package other than `common` generates the table it is named after; every table is
validated against its schema before it is written, each file is written to a temporary name
and moved into place, and MANIFEST.json (marking the set as synthetic) is written last. With `null` the tables
have no true differences between providers or areas (see `common.null_data`) and the manifest says so.
"""
from __future__ import annotations

import importlib
import json
import os
import pkgutil
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from ... import __version__
from ...geography import Geography, load_geography
from ..io import MANIFEST, sha256_file, validate_table
from ..schemas import TABLES
from .common import DATA_END, DATA_START, null_data, provider_sizes

DEFAULT_SEED = 2019
Generator = Callable[[Geography, pd.Series, int, float], pd.DataFrame]
SHARED = ("common", "cancer_cohort")  # modules the generators share: they generate no table


def _discover() -> dict[str, Generator]:
    """Each module of this package other than the shared ones generates the table it is named after."""
    generators = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name in SHARED:
            continue
        if info.name not in TABLES:
            raise ImportError(f"{__name__}.{info.name} generates a table that has no schema in ivanalysis.data.schemas")
        generators[info.name] = importlib.import_module(f"{__name__}.{info.name}").generate
    return generators


GENERATORS: dict[str, Generator] = _discover()


def _write(df: pd.DataFrame, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    if path.suffix == ".parquet":
        df.to_parquet(tmp, index=False, compression="zstd")
    else:
        df.to_csv(tmp, index=False, date_format="%Y-%m-%d %H:%M:%S")
    os.replace(tmp, path)


def generate(out: Path, *, scale: float = 1.0, seed: int = DEFAULT_SEED, fmt: str = "parquet",
             tables: list[str] | None = None, progress: Callable[[str, int], None] | None = None,
             null: bool = False) -> dict:
    if scale <= 0:
        raise ValueError(f"scale must be positive, not {scale}")
    if fmt not in ("parquet", "csv"):
        raise ValueError(f"format must be parquet or csv, not {fmt!r}")
    names = tables or list(GENERATORS)
    unknown = [n for n in names if n not in GENERATORS]
    if unknown:
        raise ValueError(f"no generator for table(s) {', '.join(unknown)}: known tables are {', '.join(GENERATORS)}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    geo = load_geography()
    sizes = provider_sizes(geo, seed)
    manifest = {"synthetic": True, "seed": seed, "scale": scale, "format": fmt,
                "generator": f"ivanalysis {__version__}",
                "period": {"start": DATA_START.date().isoformat(), "end": DATA_END.date().isoformat()}, "tables": {}}
    if null:  # only then, so that the default data's manifest is as it always was
        manifest["null"] = "no true differences between providers or areas"
    if tables:  # regenerating some tables: keep the others' entries when they come from the same settings
        previous = _read_previous(out)
        if all(previous.get(k) == manifest.get(k) for k in ("synthetic", "seed", "scale", "format", "null")):
            manifest["tables"] = {n: t for n, t in previous.get("tables", {}).items()
                                  if n in GENERATORS and (out / t["file"]).exists()}
    for name in names:
        with null_data(null):
            df = GENERATORS[name](geo, sizes, seed, scale)
        path = out / f"{name}.{fmt}"
        validate_table(df, TABLES[name], path, geo)  # a generator bug must not produce a file that fails later
        for other in (out / f"{name}.parquet", out / f"{name}.csv"):
            if other != path and other.exists():
                other.unlink()  # one file per table, or the loader refuses the ambiguity
        _write(df, path)
        manifest["tables"][name] = {"file": path.name, "rows": len(df), "sha256": sha256_file(path)}
        if progress:
            progress(name, len(df))
    manifest["tables"] = dict(sorted(manifest["tables"].items()))
    _write_manifest(out, manifest)
    return manifest


def _read_previous(out: Path) -> dict:
    try:
        return json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _write_manifest(out: Path, manifest: dict) -> None:
    tmp = out / f".{MANIFEST}.tmp"
    tmp.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, out / MANIFEST)

"""`ivanalysis`: list | synth | template | validate | run | build | serve | references.

Errors an analyst can act on (bad data, bad parameters) are printed as one clear message, never a traceback.
Exit codes: 0 success, 1 a run or validation failed, 2 bad usage or parameters.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import typer
from rich.console import Console

from .errors import ConfigError, DataError, IVError

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Improving Value analysis book: schemes x geographies, from data to an HTML book.")


def _console(stderr: bool = False) -> Console:
    """Colour and progress bars on a terminal only: a log file or a CI page gets plain text, even when FORCE_COLOR is
    set. soft_wrap: messages quote file paths and rows, which must not be broken across lines in a log."""
    tty = (sys.stderr if stderr else sys.stdout).isatty()
    return Console(stderr=stderr, soft_wrap=True, force_terminal=None if tty else False,
                   color_system="auto" if tty else None)


out = _console()
err = _console(stderr=True)


def _say(prefix: str, message: str, console: Console | None = None) -> None:
    """Print a prefix with markup and a message without (messages quote data, which may hold brackets)."""
    console = console or err
    console.print(prefix, end=" ")
    console.print(message, markup=False, highlight=False, soft_wrap=True)  # never break a path across lines


def _fail(exc: IVError) -> None:
    kind = "Data error" if isinstance(exc, DataError) else "Error"
    _say(f"[bold red]{kind}:[/]", str(exc))
    raise typer.Exit(2 if isinstance(exc, ConfigError) else 1)


NHS_NUMBERS_HELP = ("tables whose patient column holds NHS numbers (e.g. immunoglobulin): their check digits are "
                    "checked too; otherwise any pseudonymised identifier is accepted")


def _nhs_numbers(tables: list[str] | None) -> None:
    """Say which tables hold NHS numbers (--nhs-numbers), for this command and the workers and kernels it starts:
    they inherit its environment (a Dask cluster's workers need $IVANALYSIS_NHS_NUMBERS set in their own)."""
    from .data.schemas import NHS_NUMBERS, nhs_number_tables

    if tables:
        os.environ[NHS_NUMBERS] = ",".join(tables)
    try:
        if nhs_number_tables():
            out.print(f"NHS numbers checked in: {', '.join(sorted(nhs_number_tables()))}")
    except IVError as exc:
        _fail(exc)


ANNUALISE_HELP = ("when the headline financial year is not whole in the data (months without rows), scale the saving "
                  "and its quantities from the months present to a year, with a warning on the page, instead of "
                  "refusing the run")


def _annualise(annualise: bool) -> None:
    """Say that part years are annualised (--annualise-partial-years), for this command and the workers and kernels it
    starts, as _nhs_numbers does."""
    from .data.coverage import ANNUALISE

    if annualise:
        os.environ[ANNUALISE] = "1"
        out.print("Part years are annualised (--annualise-partial-years): pages say so beside the figures")


COLUMNS_HELP = ("a YAML file mapping your extract's column names to ours, table by table (radiotherapy: "
                "{ORG_CODE: provider_code}); see `ivanalysis template` for our names")


def _columns(mapping: Path | None) -> None:
    """Say which column mapping the tables are read with (--columns), for this command and the workers and kernels
    it starts; a mapping naming a table or a column we do not have is a usage error, before anything runs."""
    from .data.mapping import COLUMNS, check_mapping_file

    if mapping is None:
        return
    try:
        check_mapping_file(mapping)
    except IVError as exc:
        _fail(exc)
    os.environ[COLUMNS] = str(mapping.resolve())
    out.print(f"Columns mapped by {mapping}")


BENCHMARK_HELP = ("England's data to set your extract in: every table is read from both folders, your providers' rows "
                  "from --data-dir and every other provider's from this folder (or URL), so that England's figures "
                  "and benchmarks are England's; the page says so")


def _benchmark_data(folder: str | None) -> None:
    """Say where England's other providers are read from (--benchmark-data), for this command and the workers and
    kernels it starts; a folder that is not there is a usage error, before anything runs."""
    from .data.benchmark import BENCHMARK
    from .data.io import location, not_a_folder

    if folder is None:
        return
    where = location(folder)
    if (problem := not_a_folder(where)) is not None:
        _fail(ConfigError(f"--benchmark-data: {problem}"))
    os.environ[BENCHMARK] = str(where if "://" in folder else where.resolve())
    out.print(f"Benchmark data: England's other providers from {folder}")


PROVIDERS_HELP = ("a CSV of providers not in params/geography.yaml (header code,name,hub; name may be empty), merged "
                  "with it for this command, instead of editing the YAML by hand")


def _providers(csv_file: Path | None) -> None:
    """Say which providers file is merged with the geography (--providers), for this command and the workers and
    kernels it starts; a file with a wrong row is a usage error, before anything runs."""
    from .geography import PROVIDERS, load_geography

    if csv_file is None:
        return
    if not csv_file.is_file():
        _fail(ConfigError(f"the providers file {csv_file} (--providers) does not exist or is not a file"))
    os.environ[PROVIDERS] = str(csv_file.resolve())
    try:
        geo = load_geography()
    except IVError as exc:
        _fail(exc)
    out.print(f"Providers: params/geography.yaml with {csv_file} ({len(geo.provider_hub)} providers in all)")


@app.command("list")
def list_(as_json: bool = typer.Option(False, "--json", help="machine-readable output")) -> None:
    """List the 20 schemes (implemented or not) and the run geographies."""
    from .catalogue import CATALOGUE
    from .geography import load_geography
    from .schemes.registry import is_implemented

    try:
        geo = load_geography()
    except IVError as exc:
        _fail(exc)
    schemes = [{"id": s.id, "number": s.number, "title": s.title, "theme": s.theme, "sub_theme": s.sub_theme,
                "implemented": is_implemented(s)} for s in CATALOGUE]
    geographies = [{"code": a.code, "name": a.name, "level": a.level, "region": a.region}
                   for a in geo.run_geographies()]
    if as_json:
        print(json.dumps({"schemes": schemes, "geographies": geographies}, indent=2))
        return
    from rich.table import Table

    t = Table(title="Schemes (Menu of Opportunities)")
    for col in ("No.", "id", "title", "implemented"):
        t.add_column(col)
    for s in schemes:
        t.add_row(str(s["number"]), s["id"], s["title"], "yes" if s["implemented"] else "not yet")
    out.print(t)
    g = Table(title="Run geographies")
    for col in ("code", "name", "level", "region"):
        g.add_column(col)
    for a in geographies:
        g.add_row(a["code"], a["name"], a["level"], a["region"] or "")
    out.print(g)


@app.command()
def synth(out_dir: Path = typer.Option(None, "--out", help="folder to write (default data/synthetic)"),
          scale: float = typer.Option(1.0, help="volume relative to England's (1 = national volumes)"),
          seed: int = typer.Option(2019, help="random seed: the same seed gives identical files"),
          fmt: str = typer.Option("parquet", "--format", help="parquet or csv"),
          tables: list[str] = typer.Option(None, "--tables", help="only these tables (default: all); the others "
                                           "already in the folder are kept"),
          null: bool = typer.Option(False, "--null", help="no true differences between providers or areas: every "
                                    "one draws from England's rates (volumes stay), for testing that a benchmark's "
                                    "gap on chance alone comes out near zero")) -> None:
    """Write the deterministic synthetic data set."""
    from .data.synth import generate
    from .paths import DEFAULT_DATA_DIR

    target = out_dir or DEFAULT_DATA_DIR
    try:
        manifest = generate(target, scale=scale, seed=seed, fmt=fmt, tables=tables or None, null=null,
                            progress=lambda name, n: out.print(f"  {name}: {n:,} rows"))
    except (ValueError, IVError) as exc:
        _fail(exc if isinstance(exc, IVError) else ConfigError(str(exc)))
    out.print(f"Synthetic {'null ' if null else ''}data (seed {seed}, scale {scale:g}) written to {target}: "
              f"{sum(t['rows'] for t in manifest['tables'].values()):,} rows in {len(manifest['tables'])} tables")


@app.command()
def template(tables: list[str] | None = typer.Argument(None, help="table names (default: every table)"),
             out_dir: Path = typer.Option(Path("extract"), "--out", help="folder to write them in"),
             force: bool = typer.Option(False, "--force", help="replace files already there")) -> None:
    """Write an empty CSV per table (its header row, our column names) and a README of their columns, to fill."""
    from .data.template import write_templates

    try:
        written = write_templates(out_dir, tables, force=force)
    except IVError as exc:
        _fail(exc)
    out.print(f"Wrote {len(written) - 1} table(s) and README.md to {out_dir}: fill them, then "
              f"`ivanalysis validate --data-dir {out_dir}`")


@app.command()
def validate(data_dir: Path = typer.Option(..., "--data-dir", help="folder holding <table>.csv or <table>.parquet"),
             nhs_numbers: list[str] | None = typer.Option(None, "--nhs-numbers", help=NHS_NUMBERS_HELP),
             columns: Path | None = typer.Option(None, "--columns", help=COLUMNS_HELP),
             providers: Path | None = typer.Option(None, "--providers", help=PROVIDERS_HELP)) -> None:
    """Check every input table found in DATA_DIR against its schema and the geography."""
    _nhs_numbers(nhs_numbers)
    _columns(columns)
    _providers(providers)
    from .data.coverage import describe
    from .data.io import TableNotFound, find_table, load_table, not_a_folder
    from .data.schemas import TABLES
    from .geography import load_geography

    if (problem := not_a_folder(data_dir)) is not None:
        _fail(ConfigError(problem))
    geo = load_geography()
    found, failures, missing = {}, 0, []
    for name in TABLES:
        try:
            found[name] = find_table(data_dir, name)
        except TableNotFound:
            missing.append(name)
        except DataError as exc:  # e.g. both a .csv and a .parquet
            failures += 1
            _say(f"[red]invalid[/] {name}:", str(exc))
    if not found and not failures:
        _fail(DataError(f"{data_dir}: no input table found (expected any of "
                        f"{', '.join(f'{n}.csv/.parquet' for n in TABLES)})"))
    for name, path in found.items():
        try:
            df = load_table(data_dir, name, geo)
            _say(f"[green]ok[/]      {name}:", f"{path.name}, {len(df):,} rows", console=out)
            _say("         covers:", describe(df, TABLES[name], geo), console=out)  # valid is not yet enough
            if lacked := [c for c in TABLES[name].schema.columns if c not in df.columns]:
                _say("         lacks:", _lacking(name, lacked, path), console=out)
        except DataError as exc:
            failures += 1
            _say(f"[red]invalid[/] {name}:", str(exc))
    if missing:
        out.print(f"not found (schemes that read them cannot run): {', '.join(missing)}")
    raise typer.Exit(1 if failures else 0)


def _lacking(name: str, lacked: list[str], path: Path) -> str:
    """What a valid table without some of its optional columns means: which schemes cannot run on it, and which
    columns of the file are not ours (one may be a missing column under another name)."""
    from .data.io import header
    from .data.mapping import column_mapping
    from .data.schemas import TABLES
    from .schemes.registry import schemes_needing

    needing = schemes_needing(name, lacked)
    said = ", ".join(lacked) + (": no scheme reads them" if not needing else
                                "; so these schemes cannot run on it: "
                                + ", ".join(f"{s} ({', '.join(c)})" for s, c in needing.items()))
    mapped = column_mapping(name)
    others = [c for c in header(path) or [] if mapped.get(c, c) not in TABLES[name].schema.columns]
    if needing and others:
        said += (f". The file's columns {', '.join(others)} are not ours: if one holds a missing column under another "
                 "name, map it with --columns mapping.yaml")
    return said


@app.command()
def run(scheme: str = typer.Argument(..., help="scheme id (see `ivanalysis list`)"),
        geography: str = typer.Option(..., "--geography", "-g", help="geography code, e.g. ENG or LON"),
        data_dir: str | None = typer.Option(None, "--data-dir",
                                               help="your extract (CSV or Parquet): a folder or an fsspec URL"),
        scenario: str = typer.Option("moderate", help="low | moderate | high"),
        period: str | None = typer.Option(None, help="financial year, e.g. 2016/17"),
        force: bool = typer.Option(False, help="run even if the cached output is up to date"),
        nhs_numbers: list[str] | None = typer.Option(None, "--nhs-numbers", help=NHS_NUMBERS_HELP),
        annualise: bool = typer.Option(False, "--annualise-partial-years", help=ANNUALISE_HELP),
        columns: Path | None = typer.Option(None, "--columns", help=COLUMNS_HELP),
        benchmark_data: str | None = typer.Option(None, "--benchmark-data", help=BENCHMARK_HELP),
        providers: Path | None = typer.Option(None, "--providers", help=PROVIDERS_HELP)) -> None:
    """Run one scheme for one geography; writes _build/runs/<scheme>/<geography>/ and prints the headline."""
    _nhs_numbers(nhs_numbers)
    _annualise(annualise)
    _columns(columns)
    _benchmark_data(benchmark_data)
    _providers(providers)
    from .pipeline.execute import InlineExecutor, execute_all
    from .pipeline.lock import build_lock
    from .pipeline.plan import plan
    from .report import fmt
    from .results import read_results
    from .sdc import WITHHELD_TEXT

    try:
        specs = plan([scheme], [geography], scenario=scenario, data_dir=data_dir, period=period)
        with build_lock():
            outcomes = execute_all(specs, InlineExecutor, force=force, warm=False)  # one run: nothing to reuse
    except IVError as exc:
        _fail(exc)
    o = outcomes[0]
    if not o.ok:
        _say(f"[bold red]Run failed:[/] {o.spec.label}:", o.error or "")
        err.print(f"Log: {o.log}")
        raise typer.Exit(1)
    try:
        r = read_results(o.spec.run_dir / "results.json")
    except IVError as exc:
        _fail(exc)
    g = r.opportunity_gbp
    out.print(f"{r.title} - {r.geography_name}, {r.period}"
              + (" (cached)" if o.status == "cached" else f" ({o.duration_s:.1f} s)"))
    if r.withheld:  # below England, as the page says: nothing of the opportunity is shown
        out.print(f"Net cash-releasing saving to specialised commissioning, {r.period}: withheld, "
                  f"{WITHHELD_TEXT[r.withheld]}; every pound and quantity of it is '*' in results.json")
        out.print(f"Output: {o.spec.run_dir}")
        return
    out.print(f"Net cash-releasing saving to specialised commissioning, {r.period} ({scenario}): "
              f"{fmt.gbp(g.get(scenario))} a year (low {fmt.gbp(g.low)}, high {fmt.gbp(g.high)})")
    for c in r.opportunity_components or []:
        if not c.in_totals:
            out.print(f"  beside it: {c.label}: {fmt.gbp(c.net.get(scenario))} a year, net ({c.year})")
    for q in r.opportunity_units:
        out.print(f"  {q.label}: {fmt.quantity(q.get(scenario))} {q.unit}")
    for warning in r.data.warnings:  # what the page says beside the figures (data/coverage.py)
        out.print(warning.replace("**", ""), markup=False, highlight=False, soft_wrap=True)
    out.print(f"Output: {o.spec.run_dir}")


@app.command()
def build(schemes: list[str] | None = typer.Option(None, "--schemes", help="scheme ids (default: all implemented)"),
          geographies: list[str] | None = typer.Option(None, "--geographies", help="codes (default: ENG and hubs)"),
          jobs: int = typer.Option(0, "--jobs", "-j", help="parallel runs (default: one per core)"),
          force: bool = typer.Option(False, help="execute every run even if cached"),
          data_dir: str | None = typer.Option(None, "--data-dir", help="a folder every worker can read, or an fsspec "
                                                  "URL (a cloud store's, e.g. s3://, needs its package: s3fs)"),
          scenario: str = typer.Option("moderate"),
          book: bool = typer.Option(True, "--book/--no-book", help="build the HTML book after the runs"),
          scheduler: str | None = typer.Option(None, "--scheduler", help="run on this Dask cluster "
                                                  "(tcp://HOST:PORT) instead of local processes"),
          warm: bool = typer.Option(True, "--warm/--cold", help="reuse a warm kernel per worker (default), or a "
                                    "new kernel for every run as plain papermill"),
          nhs_numbers: list[str] | None = typer.Option(None, "--nhs-numbers", help=NHS_NUMBERS_HELP),
          annualise: bool = typer.Option(False, "--annualise-partial-years", help=ANNUALISE_HELP),
          columns: Path | None = typer.Option(None, "--columns", help=COLUMNS_HELP),
          benchmark_data: str | None = typer.Option(None, "--benchmark-data", help=BENCHMARK_HELP),
          providers: Path | None = typer.Option(None, "--providers", help=PROVIDERS_HELP)) -> None:
    """Run the matrix in parallel, then build the book. Exits 1 naming every failed run."""
    _nhs_numbers(nhs_numbers)
    _annualise(annualise)
    _columns(columns)
    _benchmark_data(benchmark_data)
    _providers(providers)
    from .pipeline.build import build_all

    try:
        ok = build_all(schemes, geographies, jobs=jobs or (os.cpu_count() or 1), force=force, data_dir=data_dir,
                       scenario=scenario, book_too=book, console=out, scheduler=scheduler, warm=warm)
    except IVError as exc:
        _fail(exc)
    raise typer.Exit(0 if ok else 1)


@app.command()
def scan(data_dir: str | None = typer.Option(None, "--data-dir", help="the inputs the build read (default: the "
                                                 "synthetic set)")) -> None:
    """Scan the built book, notebooks and results for unsuppressed small counts and patient identifiers."""
    from .data.io import location
    from .paths import build_dir, default_data_dir
    from .pipeline.scan import disclosure_findings, identifier_findings, scanned

    build = build_dir()
    findings = disclosure_findings(build) + identifier_findings(build, location(data_dir) if data_dir
                                                                else default_data_dir())
    out.print(f"Scanned {scanned(build)} published files in {build}: {len(findings)} finding(s)")
    for f in findings:
        _say("[bold red]finding[/]", str(f))
    raise typer.Exit(1 if findings else 0)


@app.command()
def audit(strict: bool = typer.Option(False, help="also fail when some packages could not be checked (a closed "
                                      "network, an unreachable service)"),
          fresh: bool = typer.Option(False, help="audit again even if this lock was audited today")) -> None:
    """Check the pinned dependencies (requirements.lock) for known vulnerabilities; the result goes on the build
    status page. Exits 1 on a known vulnerability or when pip-audit could not run. The same lock is audited once a
    day: a second audit the same day reuses the first's result (--fresh to audit again)."""
    from .pipeline import audit as supply

    result, reused = supply.cached_or_run(fresh=fresh)
    path = supply.save(result)
    colour = {"clean": "green", "incomplete": "yellow"}.get(result.status, "bold red")
    _say(f"[{colour}]audit {result.status}[/]", result.summary()
         + (f" (this lock's audit of {result.checked_at}, reused)" if reused else ""))
    out.print(f"Result: {path}")
    failed = result.status in ("vulnerable", "failed") or (strict and result.status == "incomplete")
    raise typer.Exit(1 if failed else 0)


@app.command()
def serve(port: int = typer.Option(8000, help="port on localhost"),
          directory: Path = typer.Option(None, help="default _build/html")) -> None:
    """Serve the built book on http://localhost:PORT."""
    import functools
    import http.server

    from .paths import build_dir

    root = directory or build_dir() / "html"
    if not (root / "index.html").exists():
        _fail(ConfigError(f"{root} holds no built book: run `make book` or `ivanalysis build` first"))
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    with http.server.ThreadingHTTPServer(("127.0.0.1", port), handler) as httpd:
        out.print(f"Serving {root} on http://localhost:{port} (Ctrl-C to stop)")
        try:
            httpd.serve_forever()
        except KeyboardInterrupt:
            pass


@app.command()
def references(schemes: list[str] | None = typer.Option(None, "--schemes")) -> None:
    """Re-execute the committed notebooks (England, default data) and store their reference outputs."""
    from .pipeline.references import refresh

    try:
        for path in refresh(schemes):
            out.print(f"refreshed {path}")
    except IVError as exc:
        _fail(exc)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)


if __name__ == "__main__":
    main()

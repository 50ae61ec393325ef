"""Supply chain: check every pinned dependency in requirements.lock against known vulnerabilities (pip-audit).

The result is kept in _build/audit.json and shown on the build status page. pip-audit reports a package it could
not look up as skipped, yet still prints "No known vulnerabilities found"; here a skipped package makes the result
"incomplete", never "clean", so a closed network cannot pass for a clean audit.
"""
from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..paths import ROOT, build_dir

LOCK = ROOT / "requirements.lock"
SERVICES = {"pypi": "PyPI's vulnerability data", "osv": "the OSV database"}


@dataclass
class AuditResult:
    status: str  # clean | vulnerable | incomplete | failed
    checked_at: str
    service: str
    packages: int = 0
    audited: int = 0
    vulnerabilities: list[dict] = field(default_factory=list)  # {package, version, id, fix_versions}
    skipped: list[dict] = field(default_factory=list)  # {package, reason}
    note: str = ""
    lock_sha256: str = ""  # the lock this result is about: a result is reused only for the same lock, the same day

    def summary(self) -> str:
        service = SERVICES.get(self.service, self.service)
        if self.status == "clean":
            return f"{self.audited} pinned packages checked against {service}: no known vulnerability."
        if self.status == "vulnerable":
            names = ", ".join(sorted({f"{v['package']} {v['version']} ({v['id']})" for v in self.vulnerabilities}))
            return f"{len(self.vulnerabilities)} known vulnerabilities in the pinned packages: {names}."
        if self.status == "incomplete":
            return (f"Incomplete: {len(self.skipped)} of {self.packages} pinned packages could not be checked "
                    f"against {service} ({_common_reason(self.skipped)}); {self.audited} were checked and "
                    f"{len(self.vulnerabilities)} known vulnerabilities found.")
        return f"The audit could not run: {self.note}"


def _common_reason(skipped: list[dict]) -> str:
    reasons = sorted({s["reason"] for s in skipped})
    first = reasons[0] if reasons else "no reason given"
    return first if len(reasons) == 1 else f"{first}, and {len(reasons) - 1} other reasons"


def interpret(report: dict, service: str, checked_at: str) -> AuditResult:
    """pip-audit's JSON report (`-f json`) -> what it means for this lock."""
    deps = report.get("dependencies", [])
    vulns, skipped = [], []
    for d in deps:
        if d.get("skip_reason"):
            skipped.append({"package": d["name"], "reason": _reason(d["skip_reason"])})
            continue
        for v in d.get("vulns", []):
            vulns.append({"package": d["name"], "version": d.get("version", ""), "id": v.get("id", "?"),
                          "fix_versions": v.get("fix_versions", [])})
    status = "vulnerable" if vulns else "incomplete" if skipped or not deps else "clean"
    return AuditResult(status, checked_at, service, packages=len(deps), audited=len(deps) - len(skipped),
                       vulnerabilities=vulns, skipped=skipped,
                       note="" if deps else "pip-audit listed no package")


def _reason(text: str) -> str:
    # "Dependency not found on PyPI and could not be audited: pandas (2.3.3)" -> the part before the package name
    return text.split(":")[0].strip() or text


def run(lock: Path = LOCK, service: str = "pypi", timeout_s: int = 300) -> AuditResult:
    """Run pip-audit on the lock (hash-pinned, so no resolution: --no-deps) and interpret what it says."""
    # the day only: a second audit the same day leaves the status page, so the book, unchanged
    checked_at = time.strftime("%Y-%m-%d", time.gmtime())
    cmd = [sys.executable, "-m", "pip_audit", "-r", str(lock), "--no-deps", "--disable-pip", "--require-hashes",
           "-s", service, "-f", "json", "--progress-spinner", "off"]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return AuditResult("failed", checked_at, service, note=f"pip-audit did not finish: {exc}")
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return AuditResult("failed", checked_at, service, note=f"pip-audit exited {proc.returncode}: {last[:300]}")
    return interpret(report, service, checked_at)


def lock_hash(lock: Path = LOCK) -> str:
    import hashlib

    return hashlib.sha256(lock.read_bytes()).hexdigest()


def cached_or_run(lock: Path = LOCK, service: str = "pypi", fresh: bool = False) -> tuple[AuditResult, bool]:
    """Today's audit of this lock if one was saved (vulnerability data change daily, the lock when it is edited),
    else a new one. Returns the result and whether it was reused. A failed audit is never reused."""
    digest = lock_hash(lock)
    today = time.strftime("%Y-%m-%d", time.gmtime())
    last = None if fresh else load()
    if last is not None and last.lock_sha256 == digest and last.checked_at == today and last.service == service \
            and last.status != "failed":
        return last, True
    result = run(lock, service)
    result.lock_sha256 = digest
    return result, False


def result_file() -> Path:
    return build_dir() / "audit.json"


def save(result: AuditResult) -> Path:
    path = result_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(".audit.json.tmp")
    tmp.write_text(json.dumps(asdict(result), indent=1) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path


def load() -> AuditResult | None:
    try:
        return AuditResult(**json.loads(result_file().read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None


def status_section() -> list[str]:
    """Markdown lines for the build status page: the last audit of the lock."""
    from ..report.fmt import md_escape

    lines = ["## Supply chain", "",
             "Every dependency is pinned with its hash in `requirements.lock` and installed with "
             "`pip install --require-hashes`. `ivanalysis audit` (run by `make test`, so by CI, and by `make book`) "
             "checks the pinned versions against known vulnerabilities with pip-audit.", ""]
    result = load()
    if result is None:
        return lines + ["No audit on record for this build folder: run `ivanalysis audit`.", ""]
    lines += [f"- Last audit: {result.checked_at}, result **{result.status}**.", f"- {md_escape(result.summary())}"]
    for v in result.vulnerabilities:
        fix = ", ".join(v["fix_versions"]) or "none yet"
        lines.append(f"- {md_escape(v['package'])} {md_escape(v['version'])}: {md_escape(v['id'])} (fixed in {fix})")
    return lines + [""]

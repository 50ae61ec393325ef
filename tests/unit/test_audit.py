"""The supply-chain audit: what pip-audit's report means, and what the status page says about it."""
from __future__ import annotations

import pytest

from ivanalysis.pipeline import audit

pytestmark = pytest.mark.unit

CLEAN = {"dependencies": [{"name": "pandas", "version": "2.3.3", "vulns": []},
                          {"name": "numpy", "version": "2.4.6", "vulns": []}], "fixes": []}


def test_every_package_checked_and_none_vulnerable_is_clean():
    r = audit.interpret(CLEAN, "pypi", "2026-11-25")
    assert (r.status, r.packages, r.audited, r.vulnerabilities) == ("clean", 2, 2, [])
    assert r.summary() == "2 pinned packages checked against PyPI's vulnerability data: no known vulnerability."


def test_a_known_vulnerability_is_named_with_its_fix():
    report = {"dependencies": [CLEAN["dependencies"][0],
                               {"name": "jinja2", "version": "3.1.4",
                                "vulns": [{"id": "GHSA-q2x7-8rv6-6q7h", "fix_versions": ["3.1.5"]}]}]}
    r = audit.interpret(report, "pypi", "t")
    assert r.status == "vulnerable"
    assert r.vulnerabilities == [{"package": "jinja2", "version": "3.1.4", "id": "GHSA-q2x7-8rv6-6q7h",
                                  "fix_versions": ["3.1.5"]}]
    assert "jinja2 3.1.4 (GHSA-q2x7-8rv6-6q7h)" in r.summary()


def test_packages_that_could_not_be_looked_up_make_it_incomplete_never_clean():
    # what pip-audit prints when the vulnerability service cannot be reached: every package skipped, and
    # "No known vulnerabilities found"
    report = {"dependencies": [{"name": "pandas", "skip_reason": "Dependency not found on PyPI and could not be "
                                                                 "audited: pandas (2.3.3)"},
                               CLEAN["dependencies"][1]]}
    r = audit.interpret(report, "pypi", "t")
    assert (r.status, r.packages, r.audited) == ("incomplete", 2, 1)
    assert r.skipped == [{"package": "pandas", "reason": "Dependency not found on PyPI and could not be audited"}]
    assert r.summary().startswith("Incomplete: 1 of 2 pinned packages could not be checked")
    assert audit.interpret({"dependencies": []}, "pypi", "t").status == "incomplete"


def test_the_status_page_section_shows_the_last_audit(build_dir):
    assert "No audit on record" in "\n".join(audit.status_section())
    audit.save(audit.interpret({"dependencies": [{"name": "jinja2", "version": "3.1.4", "vulns": [
        {"id": "GHSA-q2x7-8rv6-6q7h", "fix_versions": ["3.1.5"]}]}]}, "pypi", "2026-11-25"))
    text = "\n".join(audit.status_section())
    assert "Last audit: 2026-11-25, result **vulnerable**" in text
    assert "jinja2 3.1.4: GHSA-q2x7-8rv6-6q7h (fixed in 3.1.5)" in text


def test_the_same_lock_is_audited_once_a_day(build_dir, tmp_path, monkeypatch):
    """A second audit of the same lock the same day reuses the first (make book's audit in well under a second); a
    changed lock, another day, --fresh or a failed audit run pip-audit again."""
    import time

    lock = tmp_path / "requirements.lock"
    lock.write_text("pandas==2.3.3 --hash=sha256:00\n")
    calls = []

    def fake_run(lock_path, service="pypi", timeout_s=300):
        calls.append(lock_path)
        return audit.interpret(CLEAN, service, time.strftime("%Y-%m-%d", time.gmtime()))

    monkeypatch.setattr(audit, "run", fake_run)
    first, reused = audit.cached_or_run(lock)
    assert not reused and first.lock_sha256 == audit.lock_hash(lock)
    audit.save(first)
    assert audit.cached_or_run(lock)[1] and len(calls) == 1
    assert not audit.cached_or_run(lock, fresh=True)[1] and len(calls) == 2
    lock.write_text("pandas==2.3.4 --hash=sha256:01\n")
    assert not audit.cached_or_run(lock)[1] and len(calls) == 3
    audit.save(audit.AuditResult("clean", "2000-01-01", "pypi", lock_sha256=audit.lock_hash(lock)))
    assert not audit.cached_or_run(lock)[1]  # yesterday's data are not today's
    audit.save(audit.AuditResult("failed", time.strftime("%Y-%m-%d", time.gmtime()), "pypi",
                                 lock_sha256=audit.lock_hash(lock)))
    assert not audit.cached_or_run(lock)[1]  # a failure is never reused

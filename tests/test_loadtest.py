"""The load benchmark's report: per-route figures, conflicts apart from errors, and the
issue-15 targets as pass/fail."""

from __future__ import annotations

import pytest

from copilot.bench.deskload import Recorder
from copilot.bench.loadtest import render_table, summarize


def _recorder(*, suggest_ms: float, page_ms: float, login_ms: float, errors: int = 0) -> Recorder:
    rec = Recorder()
    rec.timings["POST /v1/conversations/{id}/messages"] = [suggest_ms * 0.5] * 19 + [suggest_ms]
    rec.timings["GET /c/{id}"] = [page_ms] * 10
    rec.timings["GET /escalations"] = [page_ms / 2] * 10
    rec.timings["GET /v1/desk/pulse"] = [5000.0] * 10  # an API poll, not a page
    rec.timings["POST /login"] = [login_ms] * 5
    rec.timings["POST /v1/escalations/{id}/claim"] = [20.0] * 4
    rec.conflicts["POST /v1/escalations/{id}/claim"] = 2  # another pharmacist was first
    for _ in range(errors):
        rec.errors["POST /v1/suggestions/{id}/actions"].append("500: boom")
    return rec


@pytest.mark.parametrize(
    ("kw", "failing"),
    [
        ({"suggest_ms": 250, "page_ms": 400, "login_ms": 900}, set()),
        ({"suggest_ms": 250, "page_ms": 600, "login_ms": 900}, {"pages p95"}),
        ({"suggest_ms": 700, "page_ms": 400, "login_ms": 1500}, {"suggest p95", "logins p95"}),
        ({"suggest_ms": 250, "page_ms": 400, "login_ms": 900, "errors": 1}, {"errors"}),
    ],
    ids=["all-pass", "slow-pages", "slow-suggest-and-login", "one-error"],
)
def test_figures_pass_or_fail_against_the_targets(kw, failing):
    report = summarize(_recorder(**kw), elapsed=10.0)
    assert {f["figure"] for f in report["figures"] if not f["pass"]} == failing
    assert report["passed"] == (not failing)
    claim = report["routes"]["POST /v1/escalations/{id}/claim"]
    assert (claim["conflicts"], claim["errors"]) == (2, 0)  # a lost race is not an error
    table = "\n".join(render_table(report))
    assert ("PASS" if not failing else "FAIL") in table.splitlines()[-1]
    assert "GET /v1/desk/pulse" in table


def test_a_route_that_only_failed_is_reported():
    rec = Recorder()
    rec.errors["POST /login"].append("ConnectError: refused")
    report = summarize(rec, elapsed=1.0)
    assert report["routes"]["POST /login"]["n"] == 0 and report["routes"]["POST /login"]["errors"]
    assert not report["passed"]

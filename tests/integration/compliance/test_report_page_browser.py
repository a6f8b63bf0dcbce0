"""The compliance page in a real headless Chromium: what a person sees once the page's script has run.

Each test renders a document made by the real ``ReportWriter`` (a dozen entries, several classifications,
three subscriptions, four kinds), writes it to a file and has Chromium load it from disk (``file://``, so
nothing but the file is there), then asserts on the DOM Chromium dumps after the load: the totals, the rows,
the counter the script computes, the filters a location hash preselects, the filters a user changes (through
a small test hook added to a copy of the page, allowed by its own hash in the page's policy), and the page's
Content-Security-Policy blocking a script it does not name. One test saves a 1280x900 screenshot under
``.state/artifacts/compliance-report.png`` for a person to look at.

Chromium is Debian's ``chromium`` package (CI installs it, see ``.ci/run``); without it the module is
skipped with one reason. Every browser is a subprocess started with a timeout, in its own session, and
stopped by its process group (never by name); each gets its own throw-away profile.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import shutil
import signal
import struct
import subprocess
import tempfile
from html import escape
from pathlib import Path
from typing import Any

import pytest

from shared.compliance.classify import Classification as C
from shared.compliance.classify import Entry
from shared.compliance.page import CONTENT_SECURITY_POLICY, render_page
from tests.paths import REPO_ROOT
from tests.unit.compliance.test_page import (
    NAMES,
    SUB_A,
    SUB_B,
    SUB_C,
    Node,
    arm_id,
    document,
    entry,
    parse,
    policy_id,
    vault_id,
)

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None:
    pytest.skip("no Chromium on this machine (CI installs Debian's chromium)", allow_module_level=True)

pytestmark = pytest.mark.integration

ARTIFACTS = REPO_ROOT / ".state" / "artifacts"
SCREENSHOT = ARTIFACTS / "compliance-report.png"
TIMEOUT = 90  # seconds a browser may take before it is stopped (a cold start on a slow machine is ~5 s)
WINDOW = (1280, 900)
HOSTILE = 'the vault says <script>document.title = "pwned"</script> & gives up'


def dozen() -> list[Entry]:
    """Twelve resources: 9 gaps of 6 classifications over three subscriptions and four kinds."""
    return [
        entry("stprod01", C.PROTECTED, vault_id=vault_id(SUB_A), policy_id=policy_id(SUB_A)),
        entry("stold", C.SOFT_DELETED, protection_state="SoftDeleted", vault_id=vault_id(SUB_A)),
        entry(
            "stlogs",
            C.UNPROTECTED,
            rule="prod-blobs",
            expected_vault_id=vault_id(SUB_A),
            expected_policy_id=policy_id(SUB_A),
        ),
        entry("scratch", C.UNPROTECTED, sub=SUB_B, kind="file_share", rule="prod-files"),
        entry("pg-new", C.UNPROTECTED, sub=SUB_C, kind="postgresql_flexible", rule="pg"),
        entry(
            "stbroken",
            C.UNHEALTHY,
            reason=HOSTILE,
            protection_state="ProtectionError",
            error={"code": "UserErrorMissingRole", "message": HOSTILE, "recommendedAction": ["Grant it"]},
            actions=["Grant it"],
        ),
        entry(
            "stjob",
            C.UNHEALTHY,
            sub=SUB_B,
            last_backup={"status": "Failed", "startTime": "2024-05-01T01:00:00Z", "endTime": None},
            error={"code": "BackupJobFailed", "message": "", "recommendedAction": []},
        ),
        entry(
            "pg-orders",
            C.DRIFT,
            sub=SUB_B,
            kind="postgresql_flexible",
            rule="pg",
            vault_id=vault_id(SUB_B, "vault-old"),
            policy_id=policy_id(SUB_B, "vault-old", "weekly"),
            expected_vault_id=vault_id(SUB_B, "vault-db"),
            expected_policy_id=policy_id(SUB_B, "vault-db", "daily-pg"),
        ),
        entry("pg-gone", C.ORPHANED, sub=SUB_C, kind="postgresql", vault_id=vault_id(SUB_C)),
        entry("hr", C.STOPPED, sub=SUB_C, kind="file_share", protection_state="ProtectionStopped"),
        entry("stsandbox", C.EXCLUDED, sub=SUB_C),
        entry("stpremium", C.UNSUPPORTED),
    ]


GAPS = [e for e in dozen() if e.gap]


def run_chromium(*args: str, timeout: float = TIMEOUT) -> str:
    """Chromium's stdout for one headless run; the browser (and anything it started) is stopped after."""
    assert CHROMIUM is not None
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        command = [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-extensions",
            "--no-first-run",
            "--no-default-browser-check",
            f"--user-data-dir={profile}",
            f"--window-size={WINDOW[0]},{WINDOW[1]}",
            *args,
        ]
        proc = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
        )
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _stop_group(proc, signal.SIGKILL)
            out, err = proc.communicate()
            pytest.fail(f"chromium did not finish in {timeout} s: {err[-2000:]}")
        finally:
            _stop_group(
                proc, signal.SIGTERM
            )  # helpers it left behind, by the group of the process we started
        assert proc.returncode == 0, f"chromium exited {proc.returncode}: {err[-2000:]}"
        return out


def _stop_group(proc: subprocess.Popen[str], sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):  # the group is gone: nothing to stop
        os.killpg(proc.pid, sig)


def dump_dom(page: Path, fragment: str = "") -> Node:
    """The DOM after the page has loaded and its script has run, parsed."""
    dom = run_chromium("--dump-dom", page.as_uri() + fragment)
    assert "<html" in dom, f"no DOM dumped: {dom[:500]!r}"
    return parse(dom)


def with_hook(page: str, hook: str) -> str:
    """The page with ``hook`` run after its own script: the policy is widened by the hook's hash only."""
    digest = "'sha256-" + base64.b64encode(hashlib.sha256(hook.encode()).digest()).decode() + "'"
    policy = CONTENT_SECURITY_POLICY.replace("script-src ", f"script-src {digest} ")
    assert page.count(escape(CONTENT_SECURITY_POLICY)) == 1 and page.count("</body>") == 1
    page = page.replace(escape(CONTENT_SECURITY_POLICY), escape(policy))
    return page.replace("</body>", f"<script>{hook}</script>\n</body>")


def visible(root: Node) -> list[Node]:
    return [r for r in root.all("tr", cls="gap-row") if "hidden" not in r.attrs]


def shown_classifications(root: Node) -> list[str]:
    return sorted(r.attrs["data-classification"] or "" for r in visible(root))


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    return document(dozen())


@pytest.fixture(scope="module")
def page_file(doc: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("compliance-page") / "gaps.html"
    path.write_text(render_page(doc), encoding="utf-8")
    return path


def test_the_page_loads_and_its_script_counts_the_gaps(page_file: Path, doc: dict[str, Any]) -> None:
    root = dump_dom(page_file)

    assert root.all("html")[0].attrs.get("data-filters") == "ready", "the page's script ran"
    assert root.by_id("total-resources").attrs["data-count"] == "12"
    assert root.by_id("total-gaps").attrs["data-count"] == "9" == str(doc["summary"]["gaps"])
    counts = {li.attrs["data-classification"]: li.attrs["data-count"] for li in root.all("li", cls="count")}
    assert counts["unprotected"] == "3" and counts["unhealthy"] == "2" and counts["protected"] == "1"
    rows = root.all("tr", cls="gap-row")
    assert {r.attrs["data-resource-id"] for r in rows} == {e.resource_id for e in GAPS}
    assert len(visible(root)) == 9
    counter = root.by_id("gap-counter")
    assert counter.text() == "9 of 9 gaps shown" and counter.attrs["data-shown"] == "9"
    assert "hidden" in root.by_id("no-match").attrs
    assert [
        root.by_id(f"filter-{n}").attrs["data-value"] for n in ("classification", "subscription", "kind")
    ] == [
        "",
        "",
        "",
    ], "the script reflected each filter (all)"
    # The hostile reason is text in its cell; its script never ran and never became an element.
    broken = root.all("tr", cls="gap-row", data_resource_id=arm_id(SUB_A, "stbroken"))[0]
    assert broken.all("td")[2].text() == HOSTILE
    assert len(root.all("script")) == 1
    assert root.all("title")[0].text().startswith("Backup compliance: 9 gaps")
    bars = root.by_id("chart-subscriptions").all("g", cls="bar")
    assert [b.all("text")[0].text() for b in bars] == [NAMES[SUB_B], NAMES[SUB_A], NAMES[SUB_C]], (
        "3 gaps each: by name"
    )


def test_a_hash_preselects_the_classification(page_file: Path) -> None:
    root = dump_dom(page_file, "#classification=unprotected")

    assert shown_classifications(root) == ["unprotected"] * 3
    assert root.by_id("filter-classification").attrs["data-value"] == "unprotected"
    assert root.by_id("gap-counter").text() == "3 of 9 gaps shown"
    assert len(root.all("tr", cls="gap-row")) == 9, "the other rows are hidden, not removed"


def test_a_hash_combines_filters_and_ignores_case(page_file: Path) -> None:
    root = dump_dom(page_file, f"#classification=UNHEALTHY&subscription={SUB_B.upper()}&kind=Blob")

    assert [r.attrs["data-resource-id"] for r in visible(root)] == [arm_id(SUB_B, "stjob")]
    assert root.by_id("filter-subscription").attrs["data-value"] == SUB_B, "the option's own spelling"
    assert root.by_id("filter-kind").attrs["data-value"] == "blob"
    assert root.by_id("gap-counter").text() == "1 of 9 gaps shown"


def test_a_hash_value_no_row_has_is_ignored(page_file: Path) -> None:
    root = dump_dom(page_file, "#classification=nonsense&kind=postgresql_flexible")

    assert root.by_id("filter-classification").attrs["data-value"] == ""
    assert shown_classifications(root) == ["drift", "unprotected"]
    assert root.by_id("gap-counter").text() == "2 of 9 gaps shown"


def test_file_shares_have_their_bar_and_their_filter(page_file: Path) -> None:
    root = dump_dom(page_file, "#kind=file_share")

    assert shown_classifications(root) == ["stopped", "unprotected"]
    assert root.by_id("filter-kind").attrs["data-value"] == "file_share"
    assert [r.all("td")[-3].text() for r in visible(root)] == ["File share", "File share"]
    bars = {g.attrs["data-kind"]: g for g in root.by_id("chart-kinds").all("g", cls="bar")}
    assert set(bars) == {"blob", "postgresql", "postgresql_flexible", "file_share"}
    assert (bars["file_share"].attrs["data-total"], bars["file_share"].attrs["data-gaps"]) == ("2", "2")
    assert bars["file_share"].all("text")[0].text() == "File share"


def test_filters_that_match_nothing_say_so(page_file: Path) -> None:
    root = dump_dom(page_file, "#classification=orphaned&kind=blob")

    assert visible(root) == []
    assert "hidden" not in root.by_id("no-match").attrs
    assert root.by_id("no-match").text() == "No gap matches these filters."
    assert root.by_id("gap-counter").text() == "0 of 9 gaps shown"


def test_changing_a_filter_hides_rows_and_rewrites_the_hash(doc: dict[str, Any], tmp_path: Path) -> None:
    hook = """
(function () {
  var body = document.body, counter = document.getElementById("gap-counter");
  var kind = document.getElementById("filter-kind");
  kind.value = "postgresql_flexible";
  kind.dispatchEvent(new Event("change"));
  body.setAttribute("data-after-kind", counter.textContent + " | " + location.hash);
  var classification = document.getElementById("filter-classification");
  classification.value = "drift";
  classification.dispatchEvent(new Event("change"));
  body.setAttribute("data-after-both", counter.textContent + " | " + location.hash);
  document.getElementById("filter-reset").click();
  body.setAttribute("data-after-reset", counter.textContent + " | " + location.hash);
  kind.value = "postgresql";
  kind.dispatchEvent(new Event("change"));
})();
"""
    path = tmp_path / "gaps-with-hook.html"
    path.write_text(with_hook(render_page(doc), hook), encoding="utf-8")
    root = dump_dom(path)
    body = root.all("body")[0]

    assert body.attrs.get("data-after-kind") == "2 of 9 gaps shown | #kind=postgresql_flexible"
    assert (
        body.attrs.get("data-after-both")
        == "1 of 9 gaps shown | #classification=drift&kind=postgresql_flexible"
    )
    assert body.attrs.get("data-after-reset") == "9 of 9 gaps shown | "
    assert [r.attrs["data-resource-id"] for r in visible(root)] == [arm_id(SUB_C, "pg-gone", "postgresql")]
    assert root.by_id("gap-counter").text() == "1 of 9 gaps shown"


def test_the_policy_blocks_a_script_the_page_does_not_name(doc: dict[str, Any], tmp_path: Path) -> None:
    page = render_page(doc).replace("</main>", '</main><script>document.title = "pwned";</script>')
    path = tmp_path / "gaps-injected.html"
    path.write_text(page, encoding="utf-8")
    root = dump_dom(path)

    assert root.all("title")[0].text().startswith("Backup compliance"), "the injected script did not run"
    assert root.all("html")[0].attrs.get("data-filters") == "ready", "the page's own script did"


def test_totals_and_charts_fit_the_first_screen_and_a_screenshot_is_saved(
    doc: dict[str, Any], page_file: Path, tmp_path: Path
) -> None:
    hook = """
(function () {
  function bottom(id) { return Math.round(document.getElementById(id).getBoundingClientRect().bottom); }
  var b = document.body;
  b.setAttribute("data-viewport", String(window.innerHeight));
  b.setAttribute("data-totals-bottom", String(bottom("totals")));
  b.setAttribute("data-charts-bottom", String(bottom("charts")));
  b.setAttribute("data-table-top", String(Math.round(
    document.getElementById("gaps-table").getBoundingClientRect().top)));
  b.setAttribute("data-page-width", String(document.documentElement.scrollWidth));
})();
"""
    path = tmp_path / "gaps-layout.html"
    path.write_text(with_hook(render_page(doc), hook), encoding="utf-8")
    body = dump_dom(path).all("body")[0]
    viewport = int(body.attrs["data-viewport"] or 0)

    assert viewport > 600
    assert int(body.attrs["data-charts-bottom"] or 0) <= viewport, "totals and charts without scrolling"
    assert int(body.attrs["data-table-top"] or 0) < viewport, "and the start of the table"
    assert int(body.attrs["data-page-width"] or 0) <= WINDOW[0], "no sideways scrolling"

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    SCREENSHOT.unlink(missing_ok=True)
    run_chromium("--hide-scrollbars", f"--screenshot={SCREENSHOT}", page_file.as_uri())
    data = SCREENSHOT.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    assert struct.unpack(">II", data[16:24]) == WINDOW
    assert len(data) > 20_000, "a page, not a blank screen"

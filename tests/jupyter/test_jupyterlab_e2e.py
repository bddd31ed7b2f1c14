"""End to end in a real JupyterLab and headless Chromium: a notebook shows the panel on the demo config; the
test selects two tables in the browser, looks at their plan, clicks Run, and waits until both progress bars
reach 100% and the row counts shown equal the source's. Saves the panel-*.png screenshots
(into $DX_SCREENSHOT_DIR, e.g. docs/img when refreshing them; else beside the test's notebook).

Runs with the kernel on ipywidgets 8 and again on 7.8.1 (nb_venv.py; JupyterLab 4 then loads that venv's
jupyterlab_widgets 1.1). Needs Debian's `chromium`, `jupyterlab` and `playwright` (never `playwright install`);
skipped without them.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from nb_helpers import Demo, make_demo
from nb_lab import CHROMIUM_ARGS, LabServer, chromium_path, notebook

pytest.importorskip("jupyterlab", reason="jupyterlab is not installed: pip install jupyterlab")
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed: pip install playwright")

ROOT = Path(__file__).resolve().parents[2]
SHOTS = Path(os.environ["DX_SCREENSHOT_DIR"]) if os.environ.get("DX_SCREENSHOT_DIR") else None
CELL = ('import ipywidgets\nprint("ipywidgets", ipywidgets.__version__)\n'
        'from data_extractor_jupyter import ExtractorPanel\npanel = ExtractorPanel("demo.yaml")\npanel')
TABLES = ["customers", "orders"]

LAB_ROWS = 300_000  # orders: a run long enough to watch its bar move and to cancel it half way
ROWS_JS = """() => [...document.querySelectorAll('.dx-row')].map(r => {
    const bar = r.querySelector('.dx-progress').getBoundingClientRect();
    return {name: r.querySelector('.dx-row-name').textContent.trim(),
            width: (r.querySelector('.dx-progress .progress-bar') || {style: {}}).style.width,
            rows: r.querySelector('.dx-row-rows').textContent.trim(),
            status: r.querySelector('.dx-row-status').textContent.trim(),
            bar: [Math.round(bar.left), Math.round(bar.width)]};
})"""
OVERALL_JS = "() => (document.querySelector('.dx-overall .progress-bar') || {style: {}}).style.width"
STDERR_JS = """() => [...document.querySelectorAll('.jp-OutputArea-output')]
    .filter(o => o.getAttribute('data-mime-type') === 'application/vnd.jupyter.stderr'
                 || /WARNING|log4j|SparkContext/.test(o.textContent)).map(o => o.textContent.slice(0, 200))"""


@dataclass
class Lab:
    server: LabServer
    demo: Demo
    ipywidgets: str  # the kernel's major version
    shots: Path  # where the screenshots go


@pytest.fixture(scope="module", params=["8", "7"], ids=["ipywidgets8", "ipywidgets7"])
def lab(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    if chromium_path() is None:
        pytest.skip("chromium is not installed: apt-get install -y chromium")
    python = sys.executable if request.param == "8" else str(request.getfixturevalue("ipywidgets7_python"))
    demo = make_demo(tmp_path_factory.mktemp(f"lab-ipywidgets{request.param}"), rows=LAB_ROWS)
    (demo.folder / "panel.ipynb").write_text(json.dumps(notebook([CELL])), encoding="utf-8")
    server = LabServer(demo.folder, python).start()
    try:
        yield Lab(server, demo, request.param, (SHOTS or demo.folder) if request.param == "8" else demo.folder)
    finally:
        server.stop()


@pytest.fixture
def page(lab: Lab):
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            yield page
        finally:
            browser.close()


def open_and_run_notebook(page, lab: LabServer) -> None:
    page.goto(lab.lab_url("panel.ipynb"))
    page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=60_000)
    page.wait_for_function("() => (document.querySelector('#jp-main-statusbar') || {}).textContent"
                           "?.includes('Idle')", timeout=60_000)
    # [*] or [n]: the kernel took the cell (n > 1 when an earlier test ran it in the same kernel)
    started = "() => /\\[(\\*|\\d+)\\]/.test((document.querySelector('.jp-InputPrompt') || {}).textContent || '')"
    for attempt in range(2):  # a race at kernel start can swallow the first run-all (TESTING.md)
        page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
        try:
            page.wait_for_function(started, timeout=10_000)
            break
        except sync_api.TimeoutError:
            if attempt:
                raise
    page.wait_for_selector(".dx-panel .dx-tables option", timeout=90_000)


def click_tab(page, title: str) -> None:
    page.locator(".dx-tabs .lm-TabBar-tab", has_text=title).click()


def test_select_two_tables_in_the_browser_run_them_and_see_both_bars_full(lab: Lab, page) -> None:
    shots, counts = lab.shots, lab.demo.counts
    try:
        open_and_run_notebook(page, lab.server)
        assert f"ipywidgets {lab.ipywidgets}." in page.locator(".jp-OutputArea-output").first.inner_text()
        panel = page.locator(".dx-panel")

        # Browse: pick two tables as a user does (click, then Ctrl-click).
        page.locator(".dx-tables option", has_text=TABLES[0]).click()
        page.locator(".dx-tables option", has_text=TABLES[1]).click(modifiers=["Control"])
        page.wait_for_function("() => document.querySelector('.dx-selection').textContent.includes('2 selected')")
        page.wait_for_function("() => document.querySelector('.dx-details').textContent.includes('main.orders')")
        shots.mkdir(parents=True, exist_ok=True)
        panel.screenshot(path=str(shots / "panel-browse.png"))

        # Plan: balanced, 4 partitions each.
        page.locator(".dx-plan-selected").click()
        page.locator(".dx-strategy select").select_option(label="balanced")
        page.locator(".dx-partitions input").fill("4")
        page.locator(".dx-partitions input").press("Enter")
        page.wait_for_function("() => document.querySelectorAll('.dx-plan .dx-plan-bar').length === 8")
        assert "strategy balanced" in page.locator(".dx-plan").inner_text()
        panel.screenshot(path=str(shots / "panel-plan.png"))

        # Run: both bars reach 100%, and the rows shown are the source's counts.
        click_tab(page, "Run")
        page.locator(".dx-run").click()
        page.wait_for_function(f"""() => {{
            const rows = ({ROWS_JS})();
            return rows.length === 2 && rows.every(r => r.width === '100%' && r.status.startsWith('done'));
        }}""", timeout=150_000, polling=250)
        rows = page.evaluate(ROWS_JS)
        assert [(r["name"], r["rows"]) for r in rows] == [(t, f"{counts[t]:,} rows") for t in TABLES]
        page.wait_for_function("() => document.querySelector('.dx-run-summary').textContent.includes('done: 2 table')"
                               " && !document.querySelector('.dx-run').disabled", timeout=60_000)  # RunFinished
        panel.screenshot(path=str(shots / "panel-run.png"))

        click_tab(page, "Logs")
        assert "published" in page.locator(".dx-logs").inner_text()
        assert page.evaluate(STDERR_JS) == []  # the JVM's console output went to a file, not under a cell
    except Exception:
        page.screenshot(path=str(lab.server.root / "failure.png"))
        print(f"JupyterLab log:\n{lab.server.log_tail()}\npage screenshot: {lab.server.root / 'failure.png'}")
        raise


def rows_shown(text: str) -> float:
    """`120.0 k rows` -> 120000."""
    number, *unit = text.replace("rows", "").split()
    return float(number.replace(",", "")) * {"k": 1e3, "M": 1e6}.get(unit[0] if unit else "", 1)


def test_a_cancelled_run_keeps_rows_aligned_bars_on_rows_and_the_overall_bar_below_full(lab: Lab, page) -> None:
    counts = lab.demo.counts
    try:
        open_and_run_notebook(page, lab.server)
        page.locator(".dx-tables option", has_text="customers").click()
        page.locator(".dx-tables option", has_text="orders").click(modifiers=["Control"])
        page.wait_for_function("() => document.querySelector('.dx-selection').textContent.includes('2 selected')")
        click_tab(page, "Run")
        page.locator(".dx-run").click()

        # While orders runs its bar follows its rows (not its finished partitions).
        moving = []
        for _ in range(600):
            orders = next((r for r in page.evaluate(ROWS_JS) if r["name"] == "orders"), None)
            # rows known (before the first count arrives the bar follows partitions, by design)
            if (orders and orders["rows"] and rows_shown(orders["rows"]) > 0 and orders["width"]
                    and 3 < float(orders["width"].rstrip("%")) < 90):
                moving.append(orders)
                if len(moving) == 2:
                    break
            page.wait_for_timeout(100)
        assert moving, "the orders bar never showed a share between 3% and 90%"
        for r in moving:
            assert abs(float(r["width"].rstrip("%")) - 100 * rows_shown(r["rows"]) / counts["orders"]) < 3, r

        page.locator(".dx-cancel").click()
        page.wait_for_function("""() => document.querySelector('.dx-run-summary').textContent.includes('cancelled')
                                  && !document.querySelector('.dx-run').disabled""", timeout=120_000)
        rows = {r["name"]: r for r in page.evaluate(ROWS_JS)}
        assert rows["orders"]["status"].startswith("cancelled") and rows["orders"]["width"] != "100%"
        assert len({tuple(r["bar"]) for r in rows.values()}) == 1, rows  # every bar where the others are
        overall = float(page.evaluate(OVERALL_JS).rstrip("%") or 0)
        assert overall < 100
        assert not page.locator(".dx-overall-text").inner_text().startswith("100%")
        if lab.ipywidgets == "8":
            page.locator(".dx-panel").screenshot(path=str(lab.shots / "panel-run-cancelled.png"))
    except Exception:
        page.screenshot(path=str(lab.server.root / "failure-cancel.png"))
        print(f"JupyterLab log:\n{lab.server.log_tail()}\npage screenshot: {lab.server.root / 'failure-cancel.png'}")
        raise

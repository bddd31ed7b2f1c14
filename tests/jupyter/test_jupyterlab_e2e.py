"""End to end in a real JupyterLab and headless Chromium: a notebook shows the panel on the demo config; the
test selects two tables in the browser, looks at their plan, clicks Run, and waits until both progress bars
reach 100% and the row counts shown equal the source's. Saves the screenshots of docs/img/panel-*.png.

Needs Debian's `chromium`, `jupyterlab` and `playwright` (never `playwright install`); skipped without them.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from nb_helpers import Demo, make_demo
from nb_lab import CHROMIUM_ARGS, LabServer, chromium_path, notebook

pytest.importorskip("jupyterlab", reason="jupyterlab is not installed: pip install jupyterlab")
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed: pip install playwright")

ROOT = Path(__file__).resolve().parents[2]
SHOTS = Path(os.environ.get("DX_SCREENSHOT_DIR") or ROOT / "docs" / "img")
CELL = 'from data_extractor_jupyter import ExtractorPanel\npanel = ExtractorPanel("demo.yaml")\npanel'
TABLES = ["customers", "orders"]

ROWS_JS = """() => [...document.querySelectorAll('.dx-row')].map(r => ({
    name: r.querySelector('.dx-row-name').textContent.trim(),
    width: (r.querySelector('.dx-progress .progress-bar') || {style: {}}).style.width,
    rows: r.querySelector('.dx-row-rows').textContent.trim(),
    status: r.querySelector('.dx-row-status').textContent.trim()}))"""


@pytest.fixture(scope="module")
def lab_demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    demo = make_demo(tmp_path_factory.mktemp("lab"))
    (demo.folder / "panel.ipynb").write_text(json.dumps(notebook([CELL])), encoding="utf-8")
    return demo


@pytest.fixture(scope="module")
def lab(lab_demo: Demo) -> Iterator[LabServer]:
    if chromium_path() is None:
        pytest.skip("chromium is not installed: apt-get install -y chromium")
    server = LabServer(lab_demo.folder).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def page(lab: LabServer):
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
    started = "() => /\\[(\\*|1)\\]/.test((document.querySelector('.jp-InputPrompt') || {}).textContent || '')"
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


def test_select_two_tables_in_the_browser_run_them_and_see_both_bars_full(lab: LabServer, lab_demo: Demo, page,
                                                                          ) -> None:
    try:
        open_and_run_notebook(page, lab)
        panel = page.locator(".dx-panel")

        # Browse: pick two tables as a user does (click, then Ctrl-click).
        page.locator(".dx-tables option", has_text=TABLES[0]).click()
        page.locator(".dx-tables option", has_text=TABLES[1]).click(modifiers=["Control"])
        page.wait_for_function("() => document.querySelector('.dx-selection').textContent.includes('2 selected')")
        page.wait_for_function("() => document.querySelector('.dx-details').textContent.includes('main.orders')")
        SHOTS.mkdir(parents=True, exist_ok=True)
        panel.screenshot(path=str(SHOTS / "panel-browse.png"))

        # Plan: balanced, 4 partitions each.
        page.locator(".dx-plan-selected").click()
        page.locator(".dx-strategy select").select_option(label="balanced")
        page.locator(".dx-partitions input").fill("4")
        page.locator(".dx-partitions input").press("Enter")
        page.wait_for_function("() => document.querySelectorAll('.dx-plan .dx-plan-bar').length === 8")
        assert "strategy balanced" in page.locator(".dx-plan").inner_text()
        panel.screenshot(path=str(SHOTS / "panel-plan.png"))

        # Run: both bars reach 100%, and the rows shown are the source's counts.
        click_tab(page, "Run")
        page.locator(".dx-run").click()
        page.wait_for_function(f"""() => {{
            const rows = ({ROWS_JS})();
            return rows.length === 2 && rows.every(r => r.width === '100%' && r.status.startsWith('done'));
        }}""", timeout=150_000, polling=250)
        rows = page.evaluate(ROWS_JS)
        assert [(r["name"], r["rows"]) for r in rows] == [(t, f"{lab_demo.counts[t]:,} rows") for t in TABLES]
        assert "done: 2 table(s)" in page.locator(".dx-run-summary").inner_text()
        page.wait_for_function("() => !document.querySelector('.dx-run').disabled")
        panel.screenshot(path=str(SHOTS / "panel-run.png"))

        click_tab(page, "Logs")
        assert "published" in page.locator(".dx-logs").inner_text()
    except Exception:
        page.screenshot(path=str(lab.root / "failure.png"))
        print(f"JupyterLab log:\n{lab.log_tail()}\npage screenshot: {lab.root / 'failure.png'}")
        raise

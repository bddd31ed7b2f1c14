"""A distinctive password appears nowhere: logs (plain and JSON), events, manifests, state files, --json
output, stderr, or the text of exceptions, including failing tables and a refused login."""

from __future__ import annotations

import io
import json
import logging
import traceback
from pathlib import Path

import pytest
from fid_common import cli, config, write_yaml

from data_extractor import Extractor
from data_extractor.errors import SourceError
from data_extractor.run import events as ev
from data_extractor.run import logs

pytestmark = pytest.mark.spark

USER = "fid_secret_user"
PASSWORD = "Zq9-UNIQUE-s3cr3t-Pw"
WRONG = "Wq4-UNIQUE-wr0ng-Pw"
TABLES = ["public.sec_a", "public.sec_doomed", "public.sec_misfit"]


@pytest.fixture(scope="module")
def secret_source(pg, pg_conn):
    pg_conn.execute("DROP TABLE IF EXISTS sec_a, sec_doomed, sec_misfit")
    pg_conn.execute(f"DROP ROLE IF EXISTS {USER}")
    pg_conn.execute(f"CREATE ROLE {USER} LOGIN PASSWORD '{PASSWORD}'")
    pg_conn.execute("CREATE TABLE sec_a AS SELECT g AS id, md5(g::text) AS v FROM generate_series(1, 20000) g")
    pg_conn.execute("ALTER TABLE sec_a ADD PRIMARY KEY (id)")
    pg_conn.execute("CREATE TABLE sec_misfit (id int PRIMARY KEY, amount numeric)")
    pg_conn.execute("INSERT INTO sec_misfit VALUES (1, 1.5), (2, 'NaN')")
    pg_conn.execute(f"GRANT SELECT ON sec_a, sec_misfit TO {USER}")
    return {**pg.source(), "user": USER, "password": PASSWORD}


def make_doomed(pg_conn) -> None:
    pg_conn.execute("DROP TABLE IF EXISTS sec_doomed")
    pg_conn.execute("CREATE TABLE sec_doomed AS SELECT g AS id FROM generate_series(1, 100) g")
    pg_conn.execute(f"GRANT SELECT ON sec_doomed TO {USER}")


def files_text(root: Path) -> dict[str, str]:
    """Every manifest and state file under the output."""
    found = list(root.glob("_data_extractor/manifests/**/*.json")) + list(root.glob("_data_extractor/state/*"))
    return {str(p.relative_to(root)): p.read_text(encoding="utf-8") for p in found if p.is_file()}


def assert_clean(text: str, where: str) -> None:
    assert PASSWORD not in text, f"the password leaked into {where}"
    assert WRONG not in text, f"the wrong password leaked into {where}"


def test_api_run_keeps_the_password_out_of_events_logs_manifests_and_state(secret_source, pg_conn, tmp_path, spark):
    make_doomed(pg_conn)
    out = tmp_path / "out"
    cfg = config(secret_source, out, TABLES, writer="spark", parallel_tables=1,
                 partitioning={"strategy": "balanced", "partitions": 2})
    seen: list[ev.Event] = []

    def on_event(e: ev.Event) -> None:
        seen.append(e)
        if isinstance(e, ev.TablePlanned) and e.table == "public.sec_doomed":
            pg_conn.execute("DROP TABLE sec_doomed")

    plain, as_json = io.StringIO(), io.StringIO()
    root = logging.getLogger(logs.LOGGER)
    saved = (root.handlers[:], root.level, root.propagate)
    try:  # the CLI's own console logging, at debug, in both formats
        logs.configure("debug", "plain", plain, [PASSWORD])
        handler = logging.StreamHandler(as_json)
        handler.setFormatter(logs.JsonFormatter())
        handler.addFilter(logs.ContextFilter())
        handler.addFilter(logs.Scrubber([PASSWORD]))
        root.addHandler(handler)
        result = Extractor(cfg).run(on_event=on_event)
    finally:
        root.handlers, root.level, root.propagate = saved
    status = {t.table: t.status for t in result.tables}
    assert status == {"public.sec_a": "succeeded", "public.sec_doomed": "failed", "public.sec_misfit": "failed"}
    assert any(isinstance(e, ev.LogLine) and e.level == "debug" for e in seen) or plain.getvalue()
    for e in seen:
        assert_clean(repr(e), f"event {e.kind}")
        assert_clean(json.dumps(e.to_dict(), default=str), f"event {e.kind}.to_dict()")
    assert_clean(plain.getvalue(), "plain log lines")
    assert_clean(as_json.getvalue(), "JSON log lines")
    assert plain.getvalue().count("\n") > 5 and as_json.getvalue().count("\n") > 5
    assert_clean(json.dumps(result.to_dict()), "the run result")
    written = files_text(out)
    assert any("/manifests/" in k for k in written) and any("/state/" in k for k in written)
    for name, text in written.items():
        assert_clean(text, name)


def test_refused_login_and_missing_table_exceptions_hold_no_password(secret_source, spark):
    wrong = Extractor(config({**secret_source, "password": WRONG}, "/nonexistent/out", ["public.sec_a"]))
    with pytest.raises(SourceError) as refused:
        wrong.plan("public.sec_a")
    assert "password was refused" in str(refused.value)
    ex = Extractor(config(secret_source, "/nonexistent/out", ["public.sec_a"]))
    with pytest.raises(Exception) as missing:
        ex.plan("public.sec_never_there")
    for info in (refused, missing):
        text = "".join(traceback.format_exception(info.value)) + repr(info.value)
        assert_clean(text, f"the {type(info.value).__name__} and its traceback")
    result = wrong.run()
    assert not result.ok and "password was refused" in result.tables[0].error
    assert_clean(json.dumps(result.to_dict()), "the refused run's result")


def test_cli_json_run_with_debug_json_logs_keeps_the_password_out(secret_source, pg_conn, tmp_path):
    make_doomed(pg_conn)
    pg_conn.execute("REVOKE SELECT ON sec_doomed FROM " + USER)  # fails at read: permission denied
    out = tmp_path / "out"
    cfg = config({**secret_source, "password": "${DX_FID_SECRET}"}, out, TABLES, reader="jdbc", writer="spark",
                 partitioning={"strategy": "balanced", "partitions": 2})
    path = write_yaml(tmp_path / "c.yaml", cfg)
    proc = cli("run", "-c", path, "--json", "--log-format", "json", "--log-level", "debug",
               env={"DX_FID_SECRET": PASSWORD})
    assert proc.returncode == 1, proc.stderr[-3000:]
    summary, _ = json.JSONDecoder().raw_decode(proc.stdout)  # the summary comes first
    assert {t["table"]: t["status"] for t in summary["tables"]} == {
        "public.sec_a": "succeeded", "public.sec_doomed": "failed", "public.sec_misfit": "failed"}
    log_lines = [json.loads(line) for line in proc.stderr.splitlines() if line.startswith("{")]
    assert any(line["level"] == "debug" for line in log_lines) or len(log_lines) > 5
    assert_clean(proc.stdout, "--json output")
    assert_clean(proc.stderr, "stderr (JSON log lines)")
    for name, text in files_text(out).items():
        assert_clean(text, name)

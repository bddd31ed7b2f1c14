"""Bad input is refused before any read: no Spark job runs, no output folder appears, the key is named.

Extends tests/test_cli.py (which checks `validate`/`plan`/`browse` with one bad value of each kind) to the
`run` command and the Python API, with more kinds of bad values and injection through every name a user gives.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from fid_common import cli, config, spark_jobs, write_yaml

from data_extractor import Extractor
from data_extractor.errors import UserError

pytestmark = pytest.mark.spark

INJECTION = 'x"; drop table fid_victim; --'


def base(pg, out: Path) -> dict[str, Any]:
    return config(pg.source(), out, ["public.fid_orders"])


def edit(cfg: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """`cfg` with the dotted `path` set to `value` (list indexes as numbers)."""
    node: Any = cfg
    keys = [int(k) if k.isdigit() else k for k in path.split(".")]
    for k in keys[:-1]:
        if isinstance(node, dict) and k not in node:
            node[k] = {}
        node = node[k]
    node[keys[-1]] = value
    return cfg


# name -> (dotted key to set, value, words the one line must hold)
BAD_VALUES: dict[str, tuple[str, Any, list[str]]] = {
    "port-not-a-number": ("source.port", "fivefourthreetwo", ["source.port"]),
    "port-out-of-range": ("source.port", 70000, ["source.port"]),
    "fetch-size-negative": ("tables.0", {"name": "public.fid_orders", "fetch_size": -5}, ["tables[0].fetch_size"]),
    "max-rows-text": ("output.max_rows_per_file", "lots", ["output.max_rows_per_file"]),
    "unknown-writer": ("output.writer", "csv", ["output.writer"]),
    "unknown-top-key": ("outptu", {"path": "x"}, ["outptu", "unknown key"]),
    "unknown-source-key": ("source.passwrd", "x", ["source.passwrd", "unknown key"]),
    "unknown-table-key": ("tables.0", {"name": "public.fid_orders", "partitionning": {}},
                          ["tables[0].partitionning", "unknown key"]),
    "zero-partitions": ("tables.0", {"name": "public.fid_orders", "partitioning": {"partitions": 0}},
                        ["tables[0].partitioning.partitions"]),
    "million-partitions": ("tables.0", {"name": "public.fid_orders", "partitioning": {"partitions": 10**6}},
                           ["tables[0].partitioning.partitions"]),
    "zero-default-partitions": ("defaults.partitioning.partitions", 0, ["defaults.partitioning.partitions"]),
    "unknown-strategy": ("tables.0", {"name": "public.fid_orders", "partitioning": {"strategy": "zigzag"}},
                         ["tables[0].partitioning.strategy"]),
    "unknown-default-strategy": ("defaults.partitioning.strategy", "random", ["defaults.partitioning.strategy"]),
    "missing-env-var": ("source.password", "${DX_FID_SURELY_UNSET}", ["source.password", "DX_FID_SURELY_UNSET"]),
    "number-type-too-wide": ("source.number_type", "decimal(40,10)", ["source.number_type"]),
    "parallel-zero": ("defaults.parallel_tables", 0, ["defaults.parallel_tables"]),
    "empty-columns": ("tables.0", {"name": "public.fid_orders", "columns": []}, ["tables[0].columns"]),
}
MALFORMED_YAML = {
    "unclosed-bracket": ("source: {type: postgres, host: [127.0.0.1\n", ["not valid YAML", "line 2"]),
    "tab-indent": ("source:\n\ttype: postgres\n", ["not valid YAML", "line 2"]),
    "not-a-mapping": ("- just\n- a list\n", ["must be a mapping"]),
}


@pytest.fixture(scope="module")
def victim(pg_conn):
    pg_conn.execute("DROP TABLE IF EXISTS fid_orders, fid_victim")
    pg_conn.execute("CREATE TABLE fid_orders AS SELECT g AS id, g * 2 AS amount FROM generate_series(1, 100) g")
    pg_conn.execute("CREATE TABLE fid_victim AS SELECT 1 AS id")
    yield pg_conn
    assert pg_conn.execute("SELECT count(*) FROM fid_victim").fetchone()[0] == 1, "an injection reached the database"


def refused(spark, out: Path, action) -> str:
    """Run `action`, which must raise a UserError; no Spark job may run and no output folder may appear."""
    jobs = spark_jobs(spark)
    with pytest.raises(UserError) as info:
        action()
    assert spark_jobs(spark) == jobs, "a Spark job ran before the input was refused"
    assert not out.exists(), "an output folder was created before the input was refused"
    message = str(info.value)
    assert "\n" not in message and "Traceback" not in message
    return message


@pytest.mark.parametrize("name", list(BAD_VALUES))
def test_bad_value_is_refused_through_the_api_naming_the_key(pg, victim, spark, tmp_path, name):
    key, value, words = BAD_VALUES[name]
    out = tmp_path / "out"
    cfg = edit(base(pg, out), key, value)
    message = refused(spark, out, lambda: Extractor(cfg).run())
    for word in words:
        assert word in message, message


@pytest.mark.parametrize("name", list(MALFORMED_YAML))
def test_malformed_yaml_is_refused_through_the_api_naming_the_line(spark, tmp_path, name):
    text, words = MALFORMED_YAML[name]
    path = write_yaml(tmp_path / "bad.yaml", text)
    message = refused(spark, tmp_path / "out", lambda: Extractor(str(path)))
    assert isinstance(message, str)
    for word in words:
        assert word in message, message


@pytest.mark.parametrize("where", ["plan", "column"])
def test_injection_in_a_name_is_refused_before_any_read(pg, victim, spark, tmp_path, where):
    out = tmp_path / "out"
    if where == "plan":
        message = refused(spark, out, lambda: Extractor(base(pg, out)).plan(INJECTION))
        assert "is not of the form" in message
    else:
        cfg = base(pg, out)
        cfg["tables"] = [{"name": "public.fid_orders", "partitioning": {"strategy": "balanced", "column": INJECTION}}]
        message = refused(spark, out, lambda: Extractor(cfg).plan("public.fid_orders"))
        assert INJECTION in message and "partitioning.column" in message


_RUN_REASON = ("runner.py:Run._main: mark_run() creates {output}/_staging before any table name is resolved, and "
               "Run._record_failure writes {output}/_state/<name>.json for a name the catalog never had; the run "
               "then fails the table instead of refusing the input")


@pytest.mark.parametrize("field", ["table", "column"])
def test_injection_in_a_configured_name_is_refused_by_run_before_any_output(pg, victim, spark, tmp_path, field):
    out = tmp_path / "out"
    cfg = base(pg, out)
    cfg["tables"] = [INJECTION] if field == "table" else [{"name": "public.fid_orders", "columns": ["id", INJECTION]}]
    jobs = spark_jobs(spark)
    result = Extractor(cfg).run()
    assert not result.ok and INJECTION in result.tables[0].error
    assert spark_jobs(spark) == jobs
    assert not out.exists(), sorted(str(p.relative_to(out)) for p in out.rglob("*"))


@pytest.fixture(scope="module")
def cli_runs(pg, victim, tmp_path_factory):
    folder = tmp_path_factory.mktemp("bad-run")
    commands: dict[str, list[str | Path]] = {}
    for name, (key, value, _) in BAD_VALUES.items():
        cfg = edit(base(pg, folder / f"out-{name}"), key, value)
        commands[name] = ["run", "-c", write_yaml(folder / f"{name}.yaml", cfg)]
    for name, (text, _) in MALFORMED_YAML.items():
        commands[name] = ["run", "-c", write_yaml(folder / f"{name}.yaml", text)]
    with ThreadPoolExecutor(4) as pool:
        results = pool.map(lambda args: cli(*args, timeout=120), commands.values())
        return folder, dict(zip(commands, results, strict=True))


@pytest.mark.parametrize("name", [*BAD_VALUES, *MALFORMED_YAML])
def test_bad_input_to_run_exits_2_with_one_line_naming_the_key(cli_runs, pg, name):
    folder, runs = cli_runs
    proc = runs[name]
    words = BAD_VALUES[name][2] if name in BAD_VALUES else MALFORMED_YAML[name][1]
    assert proc.returncode == 2, (proc.returncode, proc.stderr[-1500:])
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    for word in words:
        assert word in lines[0], lines[0]
    assert proc.stdout == "" and pg.password not in proc.stderr
    assert not (folder / f"out-{name}").exists()

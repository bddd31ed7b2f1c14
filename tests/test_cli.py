"""The CLI as a user runs it: a real subprocess against SQLite and the live PostgreSQL.

Bad input always ends the same way: exit code 2, one line on stderr naming the problem, no traceback.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

from data_extractor.config.models import ENV_PREFIX

PG_PASSWORD_VAR = "DX_TEST_PG_PASSWORD"


def run(*args: str | Path, env: dict[str, str] | None = None, cwd: Path | None = None
        ) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.upper().startswith(ENV_PREFIX)}
    clean.pop("COLUMNS", None)
    return subprocess.run([sys.executable, "-m", "data_extractor", *map(str, args)], capture_output=True,
                          text=True, env={**clean, **(env or {})}, cwd=cwd, timeout=120)


def run_many(commands: dict[str, list[str | Path]], env: dict[str, str] | None = None
             ) -> dict[str, subprocess.CompletedProcess[str]]:
    """Several CLI runs at once (each pays about half a second of interpreter start)."""
    with ThreadPoolExecutor(4) as pool:
        results = pool.map(lambda args: run(*args, env=env), commands.values())
        return dict(zip(commands, results, strict=True))


def assert_bad_input(result: subprocess.CompletedProcess[str], *needles: str) -> str:
    """Exit 2, exactly one line on stderr that names the problem, nothing on stdout, no traceback."""
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert result.stdout == ""
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def write_yaml(path: Path, data: dict | str) -> Path:
    text = data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False)
    path.write_text(text, encoding="utf-8")
    return path


# ------------------------------------------------------------------------- SQLite


@pytest.fixture(scope="module")
def sqlite_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "shop.db"
    conn = sqlite3.connect(path)
    conn.executescript("""
        CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER, amount DECIMAL(10,2), status TEXT);
        CREATE TABLE order_lines (order_id INTEGER, line_no INTEGER, PRIMARY KEY (order_id, line_no));
        CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT);
        CREATE TABLE x (id INTEGER);
    """)
    conn.executemany("INSERT INTO orders VALUES (?, ?, ?, ?)",
                     [(i, i % 50, i / 4, "void" if i % 10 == 0 else "paid") for i in range(1, 1001)])
    conn.commit()
    conn.close()
    return path


@pytest.fixture(scope="module")
def sqlite_config(sqlite_db: Path) -> Path:
    return write_yaml(sqlite_db.with_name("sqlite.yaml"), {
        "source": {"type": "sqlite", "path": str(sqlite_db)},
        "tables": ["orders", {"name": "customers", "columns": ["id", "name"]}],
    })


SQLITE_RUNS: dict[str, list[str]] = {
    "validate": ["validate", "-c", "{config}"],
    "validate-json": ["validate", "-c", "{config}", "--json"],
    "browse": ["browse", "-c", "{config}"],
    "browse-json": ["browse", "-c", "{config}", "--json"],
    "browse-schema": ["browse", "-c", "{config}", "--schema", "main"],
    "browse-pattern-json": ["browse", "-c", "{config}", "--pattern", "ord*", "--json"],
    "browse-table": ["browse", "-c", "{config}", "--table", "ORDERS"],
    "browse-table-json": ["browse", "-c", "{config}", "--table", "orders", "--json"],
    "plan-balanced-json": ["plan", "-c", "{config}", "-t", "orders", "--strategy", "balanced",
                           "--partitions", "4", "--json"],
    "plan-auto-json": ["plan", "-c", "{config}", "-t", "orders", "--json"],
    "plan-hash-text": ["plan", "-c", "{config}", "-t", "orders", "--strategy", "hash", "--partitions", "3"],
}


@pytest.fixture(scope="module")
def sqlite_runs(sqlite_config: Path) -> dict[str, subprocess.CompletedProcess[str]]:
    return run_many({name: [a.format(config=sqlite_config) for a in args]
                     for name, args in SQLITE_RUNS.items()})


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    return result.stdout


def test_validate_connects_and_checks_every_table(sqlite_runs):
    out = ok(sqlite_runs["validate"])
    assert "config OK" in out
    assert "orders -> main.orders" in out and "customers -> main.customers" in out


def test_validate_json_reports_resolved_tables(sqlite_runs):
    report = json.loads(ok(sqlite_runs["validate-json"]))
    assert report["source"].startswith("sqlite://")
    assert [(t["name"], t["resolved"], t["columns"]) for t in report["tables"]] == [
        ("orders", "main.orders", 4), ("customers", "main.customers", 2)]
    assert report["tables"][0]["estimated_rows"] == 1000


def test_validate_offline_checks_the_file_without_connecting(tmp_path):
    source = {"type": "sqlite", "path": str(tmp_path / "missing.db")}
    config = write_yaml(tmp_path / "c.yaml", {"source": source, "tables": ["orders"]})
    runs = run_many({"offline": ["validate", "--offline", "-c", config],
                     "online": ["validate", "-c", config]})
    out = ok(runs["offline"])
    assert "config OK" in out and "offline" in out
    assert runs["online"].returncode == 1 and "missing.db does not exist" in runs["online"].stderr


def test_browse_lists_schemas(sqlite_runs):
    out = ok(sqlite_runs["browse"])
    assert "main" in out and "(default)" in out
    data = json.loads(ok(sqlite_runs["browse-json"]))
    assert data["schemas"] == ["main"] and data["default_schema"] == "main"


def test_browse_schema_lists_its_tables(sqlite_runs):
    out = ok(sqlite_runs["browse-schema"])
    for name in ("orders", "order_lines", "customers"):
        assert name in out


def test_browse_pattern_filters_tables_as_json(sqlite_runs):
    data = json.loads(ok(sqlite_runs["browse-pattern-json"]))
    assert sorted(t["name"] for t in data) == ["order_lines", "orders"]
    assert {t["name"]: t["rows"] for t in data}["orders"] == 1000


def test_browse_table_shows_its_columns(sqlite_runs):
    out = ok(sqlite_runs["browse-table"])
    assert "main.orders" in out and "decimal(10,2)" in out
    data = json.loads(ok(sqlite_runs["browse-table-json"]))
    assert data["table"] == "main.orders" and data["estimated_rows"] == 1000
    assert [(c["name"], c["spark_type"]) for c in data["columns"]] == [
        ("id", "bigint"), ("customer_id", "bigint"), ("amount", "decimal(10,2)"), ("status", "string")]


def test_plan_json_has_strategy_partitions_and_skew(sqlite_runs):
    plan = json.loads(ok(sqlite_runs["plan-balanced-json"]))
    assert (plan["strategy"], plan["column"], len(plan["partitions"])) == ("balanced", "id", 4)
    assert plan["skew"] == pytest.approx(1.0, abs=0.05)
    assert sum(p["estimated_rows"] for p in plan["partitions"]) == pytest.approx(1000, abs=4)
    assert all(p["predicate"] for p in plan["partitions"])


def test_plan_of_a_small_table_is_one_partition(sqlite_runs):
    plan = json.loads(ok(sqlite_runs["plan-auto-json"]))
    assert plan["strategy"] == "none" and plan["partitions"][0]["predicate"] is None
    assert plan["skew"] == 1.0


def test_plan_text_output_shows_the_partitions(sqlite_runs):
    out = ok(sqlite_runs["plan-hash-text"])
    assert "strategy hash" in out and "partitions 3" in out
    assert '"id" % 3' in out


def test_sample_sqlite_config_runs_against_the_demo_database(tmp_path):
    from data_extractor.cli.demo import build_database

    build_database(tmp_path / "demo_output" / "demo.db", rows=3000)
    sample = Path(__file__).resolve().parents[1] / "sample_configs" / "sqlite.yaml"
    result = run("validate", "-c", sample, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    plan = json.loads(run("plan", "-c", sample, "-t", "orders", "--json", cwd=tmp_path).stdout)
    assert (plan["strategy"], len(plan["partitions"])) == ("balanced", 4)


@pytest.mark.spark
def test_a_run_prints_no_jvm_start_up_notices(tmp_path):
    """The JVM's incubator warning and Spark's setLogLevel hint say nothing to a user: they stay off stderr."""
    result = run("demo", "--output", tmp_path, "--rows", "500", "--master", "local[1]", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["ok"]  # the JVM's stdout never mixes into the JSON
    for notice in ("Using incubator modules", "Setting default log level", "sc.setLogLevel"):
        assert notice not in result.stderr, result.stderr
    assert "Spark ready in" in result.stderr


# -------------------------------------------------------------------- bad input


SOURCE = {"type": "sqlite", "path": "/nonexistent/never-opened.db"}

# name -> (config file contents, command, what the one line must name)
BAD_CONFIGS: dict[str, tuple[dict | str, str, list[str]]] = {
    "wrong-type": ({"source": SOURCE, "defaults": {"parallel_tables": "many"}}, "validate",
                   ["defaults.parallel_tables", "line 5"]),
    "unknown-key": ({"source": SOURCE, "tables": [{"name": "orders", "partitionning": {"strategy": "hash"}}]},
                    "plan", ["tables[0].partitionning", "unknown key", "line 6"]),
    "missing-env-var": ({"source": {**SOURCE, "path": "${DX_TEST_SURELY_UNSET}"}}, "browse",
                        ["source.path", "DX_TEST_SURELY_UNSET"]),
    "bad-yaml": ("source: {type: sqlite, path: [unclosed\n", "validate", ["not valid YAML", "line 2"]),
}

# name -> (arguments after `plan -c CONFIG`, what the one line must name)
BAD_PLAN_ARGS: dict[str, tuple[list[str], list[str]]] = {
    "injection": (["-t", "orders; drop table x"], ["'orders; drop table x' was not found"]),
    "quote-injection": (["-t", 'x"; drop table y; --'], ["is not of the form"]),
    "typo": (["-t", "ordrs"], ["did you mean 'orders'"]),
    "zero-partitions": (["-t", "orders", "--partitions", "0"], ["--partitions", "0"]),
    "unknown-strategy": (["-t", "orders", "--strategy", "zigzag"], ["--strategy", "'zigzag'"]),
    "unknown-column": (["-t", "orders", "--strategy", "balanced", "--column", "nope"],
                       ["'nope'", "partitioning.column"]),
}


@pytest.fixture(scope="module")
def bad_runs(sqlite_config: Path, tmp_path_factory: pytest.TempPathFactory
             ) -> dict[str, subprocess.CompletedProcess[str]]:
    folder = tmp_path_factory.mktemp("bad")
    commands: dict[str, list[str | Path]] = {}
    for name, (config, command, _) in BAD_CONFIGS.items():
        path = write_yaml(folder / f"{name}.yaml", config)
        commands[f"config:{name}"] = [command, "-c", path] + (["-t", "orders"] if command == "plan" else [])
    for name, (args, _) in BAD_PLAN_ARGS.items():
        commands[f"plan:{name}"] = ["plan", "-c", sqlite_config, *args]
    commands["missing-file"] = ["browse", "-c", folder / "nope.yaml"]
    commands["unknown-column-in-config"] = ["validate", "-c", write_yaml(folder / "cols.yaml", {
        "source": {"type": "sqlite", "path": str(sqlite_config.with_name("shop.db"))},
        "tables": [{"name": "orders", "columns": ["id", "amout"]}]})]
    commands["browse-unknown-table"] = ["browse", "-c", sqlite_config, "--table", "custmers"]
    commands["unknown-command"] = ["bogus"]
    return run_many(commands)


@pytest.mark.parametrize("name", list(BAD_CONFIGS))
def test_bad_config_exits_2_with_one_line_naming_the_key(bad_runs, name):
    assert_bad_input(bad_runs[f"config:{name}"], *BAD_CONFIGS[name][2])


@pytest.mark.parametrize("name", list(BAD_PLAN_ARGS))
def test_bad_plan_arguments_exit_2_with_one_line(bad_runs, name):
    assert_bad_input(bad_runs[f"plan:{name}"], *BAD_PLAN_ARGS[name][1])


def test_injection_attempts_leave_the_database_as_it_was(bad_runs, sqlite_db):
    conn = sqlite3.connect(sqlite_db)
    assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name IN ('x', 'orders')").fetchone()[0] == 2
    assert conn.execute("SELECT count(*) FROM orders").fetchone()[0] == 1000
    conn.close()


def test_missing_config_file_exits_2(bad_runs):
    assert_bad_input(bad_runs["missing-file"], "nope.yaml does not exist")


def test_validate_refuses_an_unknown_configured_column(bad_runs):
    assert_bad_input(bad_runs["unknown-column-in-config"], "'amout'", "did you mean 'amount'")


def test_unknown_browse_table_exits_2_and_suggests(bad_runs):
    assert_bad_input(bad_runs["browse-unknown-table"], "did you mean 'customers'")


def installed_plugin(site: Path, name: str, target: str, module_source: str | None = None) -> dict[str, str]:
    """A dialect registered exactly as a third party would: an entry point in a .dist-info on the path."""
    info = site / f"dx_test_{name}-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: dx-test-{name}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[data_extractor.dialects]\n{name} = {target}\n")
    if module_source is not None:
        (site / f"{target.partition(':')[0]}.py").write_text(module_source)
    return {"PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])}


def test_third_party_dialect_is_found_through_its_entry_point(tmp_path):
    env = installed_plugin(tmp_path / "site", "toydb", "dx_test_toydb:ToyDialect",
                           "from data_extractor.source.dialects.sqlite import SQLiteDialect\n\n"
                           "class ToyDialect(SQLiteDialect):\n    name = 'toydb'\n")
    config = write_yaml(tmp_path / "toy.yaml", {"source": {"type": "toydb", "path": "x.db"}, "tables": ["t"]})
    result = run("validate", "--offline", "-c", config, env=env)
    assert result.returncode == 0, result.stderr
    assert "(toydb)" in result.stdout


def test_registered_dialect_that_cannot_be_imported_is_a_one_line_config_error(tmp_path):
    env = installed_plugin(tmp_path / "site", "brokendb", "dx_test_no_such_module:BrokenDialect")
    config = write_yaml(tmp_path / "broken.yaml", {"source": {"type": "brokendb", "host": "h"}})
    assert_bad_input(run("validate", "--offline", "-c", config, env=env), "config error at source",
                     "brokendb dialect is registered but cannot be loaded")


def test_unknown_command_points_to_the_right_help(bad_runs):
    line = assert_bad_input(bad_runs["unknown-command"], "'bogus'")
    assert "data-extractor data-extractor" not in line


# --------------------------------------------------------------------- PostgreSQL


@pytest.fixture(scope="module")
def pg_cli(pg, pg_conn, tmp_path_factory: pytest.TempPathFactory) -> dict:
    pg_conn.execute("DROP SCHEMA IF EXISTS cli_test CASCADE")
    pg_conn.execute("CREATE SCHEMA cli_test")
    pg_conn.execute("CREATE TABLE cli_test.orders (id bigint PRIMARY KEY, amount numeric(12,2), status text)")
    pg_conn.execute("INSERT INTO cli_test.orders SELECT g, g / 3.0,"
                    " CASE WHEN g % 10 = 0 THEN 'void' ELSE 'paid' END FROM generate_series(1, 20000) g")
    pg_conn.execute('CREATE TABLE cli_test."Events" (at timestamptz, kind text)')
    pg_conn.execute("ANALYZE cli_test.orders")
    folder = tmp_path_factory.mktemp("cli-pg")
    source = {**pg.source(), "password": "${" + PG_PASSWORD_VAR + "}"}
    good = write_yaml(folder / "pg.yaml", {
        "source": source,
        "tables": [{"name": "cli_test.orders", "where": "status <> 'void'",
                    "partitioning": {"strategy": "balanced", "partitions": 4}}, "cli_test.events"],
    })
    wrong = write_yaml(folder / "wrong.yaml", {"source": {**pg.source(), "password": "Wrong-Pass-4471"},
                                               "tables": ["cli_test.orders"]})
    return {"good": good, "wrong": wrong, "env": {PG_PASSWORD_VAR: pg.password}, "password": pg.password}


@pytest.fixture(scope="module")
def pg_runs(pg, pg_cli, tmp_path_factory: pytest.TempPathFactory
            ) -> dict[str, subprocess.CompletedProcess[str]]:
    from pgserver import free_port

    good, env = pg_cli["good"], pg_cli["env"]
    down = write_yaml(tmp_path_factory.mktemp("down") / "down.yaml",
                      {"source": {**pg.source(), "port": free_port()}, "tables": ["orders"]})
    with_password = run_many({
        "validate": ["validate", "-c", good],
        "browse-json": ["browse", "-c", good, "--json"],
        "browse-pattern-json": ["browse", "-c", good, "--schema", "cli_test", "--pattern", "ev", "--json"],
        "browse-table-json": ["browse", "-c", good, "--schema", "cli_test", "--table", "orders", "--json"],
        "plan-json": ["plan", "-c", good, "-t", "cli_test.orders", "--json"],
        "plan-injection": ["plan", "-c", good, "-t", "cli_test.orders; drop table x"],
    }, env=env)
    without = run_many({
        "missing-password-var": ["validate", "-c", good],
        "wrong-password": ["validate", "-c", pg_cli["wrong"]],
        "unreachable": ["browse", "-c", down],
    })
    return {**with_password, **without}


def test_pg_validate(pg_runs, pg_cli):
    out = ok(pg_runs["validate"])
    assert "cli_test.orders -> cli_test.orders" in out
    assert "cli_test.events -> cli_test.Events" in out
    assert pg_cli["password"] not in out


def test_pg_browse_schemas_tables_and_columns(pg_runs, pg_cli):
    schemas = json.loads(ok(pg_runs["browse-json"]))
    assert "cli_test" in schemas["schemas"] and schemas["default_schema"] == "public"
    assert pg_cli["password"] not in json.dumps(schemas)
    tables = json.loads(ok(pg_runs["browse-pattern-json"]))
    assert [(t["name"], t["kind"]) for t in tables] == [("Events", "table")]
    columns = json.loads(ok(pg_runs["browse-table-json"]))
    assert columns["table"] == "cli_test.orders" and columns["estimated_rows"] == 20000
    assert [c["spark_type"] for c in columns["columns"]] == ["bigint", "decimal(12,2)", "string"]


def test_pg_plan_json_uses_the_configured_partitioning(pg_runs):
    plan = json.loads(ok(pg_runs["plan-json"]))
    assert (plan["strategy"], plan["column"], len(plan["partitions"])) == ("balanced", "id", 4)
    assert plan["skew"] is not None and plan["skew"] < 1.2
    assert any("status <> 'void'" in n for n in plan["notes"])


def test_pg_plan_refuses_injection(pg_runs, pg_conn):
    assert_bad_input(pg_runs["plan-injection"], "was not found")
    assert pg_conn.execute("SELECT to_regclass('cli_test.orders') IS NOT NULL").fetchone()[0]


def test_pg_missing_password_variable_exits_2(pg_runs):
    assert_bad_input(pg_runs["missing-password-var"], "source.password", PG_PASSWORD_VAR)


def test_pg_wrong_password_fails_in_one_line_without_the_password(pg_runs, pg_cli):
    result = pg_runs["wrong-password"]
    assert result.returncode not in (0, 2), result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert "password was refused" in lines[0]
    assert "Wrong-Pass-4471" not in result.stdout + result.stderr
    assert pg_cli["password"] not in result.stdout + result.stderr


def test_pg_unreachable_server_fails_in_one_line(pg_runs, pg):
    result = pg_runs["unreachable"]
    assert result.returncode == 1 and len(result.stderr.strip().splitlines()) == 1
    assert "nothing is listening" in result.stderr and pg.password not in result.stderr


def test_pg_validate_without_tables_still_connects(pg, tmp_path):
    from pgserver import free_port

    config = write_yaml(tmp_path / "down.yaml", {"source": {**pg.source(), "port": free_port()}})
    result = run("validate", "-c", config)
    assert result.returncode == 1, result.stdout

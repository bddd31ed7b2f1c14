"""Loading the YAML config: values, `${VAR}` interpolation, env overrides, and one-sentence errors."""

from __future__ import annotations

import os
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from data_extractor.config.models import ENV_PREFIX, ExtractorConfig, TableConfig, load_config
from data_extractor.errors import ConfigError

SECRET = "hunter2-Very-Secret"
SAMPLES = Path(__file__).resolve().parents[2] / "sample_configs"

FULL = """\
# the shape from the README, with the password from the environment
source:
  type: postgres
  host: 127.0.0.1
  port: 5432
  database: shop
  user: reader
  password: ${PGPASSWORD}
spark: {master: "local[*]", reader: auto, conf: {}}
output: {path: ./extracts, compression: snappy}
defaults:
  {parallel_tables: 2, fetch_size: 10000,
   partitioning: {strategy: auto, target_rows: 1000000, max_partitions: 64}}
tables:
  - name: public.orders
    columns: [id, amount]
    where: "status <> 'void'"
    partitioning: {strategy: balanced, column: id, partitions: 8}
"""

SOURCE = f"""\
source:
  type: postgres
  host: db.example.com
  database: shop
  user: reader
  password: {SECRET}
"""


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No override from the developer's own environment leaks into these tests."""
    for key in list(os.environ):
        if key.upper().startswith(ENV_PREFIX):
            monkeypatch.delenv(key)


@pytest.fixture()
def write(tmp_path: Path) -> Iterator:
    def write(text: str, name: str = "config.yaml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    yield write


def with_source(tail: str) -> str:
    return SOURCE + textwrap.dedent(tail)


def config_error(path: Path | dict) -> str:
    with pytest.raises(ConfigError) as info:
        load_config(path)
    return str(info.value)


def chain(exc: BaseException | None) -> Iterator[BaseException]:
    while exc is not None:
        yield exc
        exc = exc.__cause__ or exc.__context__


# ------------------------------------------------------------------ valid files


def test_full_config_loads_every_section(write, monkeypatch):
    monkeypatch.setenv("PGPASSWORD", SECRET)
    config = load_config(write(FULL))
    s = config.source
    assert (s.type, s.host, s.port, s.database, s.user) == ("postgres", "127.0.0.1", 5432, "shop", "reader")
    assert isinstance(s.password, SecretStr) and s.password.get_secret_value() == SECRET
    assert (config.spark.master, config.spark.reader, config.spark.conf) == ("local[*]", "auto", {})
    assert (config.output.path, config.output.compression) == ("./extracts", "snappy")
    assert (config.defaults.parallel_tables, config.defaults.fetch_size) == (2, 10000)
    d = config.defaults.partitioning
    assert (d.strategy, d.target_rows, d.max_partitions) == ("auto", 1_000_000, 64)
    [orders] = config.tables
    assert (orders.name, orders.columns) == ("public.orders", ["id", "amount"])
    assert orders.where == "status <> 'void'"
    p = config.partitioning_for(orders)
    assert (p.strategy, p.column, p.partitions, p.target_rows, p.max_partitions) == ("balanced", "id", 8,
                                                                                       1_000_000, 64)


def test_password_is_a_secret_hidden_from_repr_and_dumps(write, monkeypatch):
    monkeypatch.setenv("PGPASSWORD", SECRET)
    config = load_config(write(FULL))
    assert isinstance(config.source.password, SecretStr)
    for text in (repr(config), str(config), repr(config.source), config.model_dump_json()):
        assert SECRET not in text


def test_tables_given_as_plain_strings_are_bare_entries(write):
    config = load_config(write(SOURCE + "tables: [public.orders, customers]\n"))
    assert [t.name for t in config.tables] == ["public.orders", "customers"]
    assert all(t.columns is None and t.partitioning is None for t in config.tables)
    assert config.partitioning_for(config.tables[0]) == config.defaults.partitioning


def test_table_partitioning_overrides_defaults_only_for_the_keys_it_sets(write):
    config = load_config(write(with_source("""\
        defaults:
          partitioning: {strategy: range, column: created_at, target_rows: 5000, max_partitions: 12}
        tables:
          - name: a
            partitioning: {column: id}
          - name: b
            partitioning: {strategy: hash, partitions: 3}
          - c
        """)))
    a, b, c = (config.partitioning_for(t) for t in config.tables)
    keys = ("strategy", "column", "partitions", "target_rows", "max_partitions")
    assert [getattr(a, k) for k in keys] == ["range", "id", None, 5000, 12]
    assert [getattr(b, k) for k in keys] == ["hash", "created_at", 3, 5000, 12]
    assert c == config.defaults.partitioning


def test_a_table_not_in_the_file_gets_a_bare_entry_and_lookup_ignores_case(write):
    config = load_config(write(SOURCE + "tables: [{name: Public.Orders, where: 'x > 1'}]\n"))
    assert config.table("public.orders").where == "x > 1"
    assert config.table("other") == TableConfig(name="other")


# ---------------------------------------------------------------- interpolation


def test_variables_are_interpolated_inside_strings_and_numbers(write, monkeypatch):
    monkeypatch.setenv("DB_HOST", "db1.internal")
    monkeypatch.setenv("DB_PORT", "6543")
    monkeypatch.setenv("PGPASSWORD", SECRET)
    config = load_config(write("""\
        source:
          type: postgres
          host: ${DB_HOST}
          port: ${DB_PORT}
          database: shop_${DB_HOST}
          user: reader
          password: ${PGPASSWORD}
        """))
    assert config.source.host == "db1.internal"
    assert config.source.port == 6543
    assert config.source.database == "shop_db1.internal"
    assert config.source.password.get_secret_value() == SECRET


def test_default_is_used_when_the_variable_is_unset(write, monkeypatch):
    monkeypatch.delenv("DX_TEST_HOST", raising=False)
    monkeypatch.setenv("DX_TEST_USER", "from-env")
    config = load_config(write("""\
        source:
          type: postgres
          host: ${DX_TEST_HOST:-localhost}
          port: ${DX_TEST_PORT:-5433}
          database: shop
          user: ${DX_TEST_USER:-nobody}
        output: {path: "${DX_TEST_OUT:-/tmp/out}/extracts"}
        """))
    assert (config.source.host, config.source.port, config.source.user) == ("localhost", 5433, "from-env")
    assert config.output.path == "/tmp/out/extracts"


def test_default_is_used_when_the_variable_is_empty_like_in_the_shell(write, monkeypatch):
    monkeypatch.setenv("DX_TEST_PORT", "")
    monkeypatch.setenv("DX_TEST_SUFFIX", "")
    config = load_config(write("""\
        source: {type: postgres, host: h, database: "d${DX_TEST_SUFFIX}", user: u,
                 port: "${DX_TEST_PORT:-5433}"}
        """))
    assert config.source.port == 5433
    assert config.source.database == "d"  # set but empty, no default: taken as empty


def test_missing_variable_names_the_key_path_and_the_variable(write, monkeypatch):
    monkeypatch.delenv("DX_TEST_NOT_SET", raising=False)
    message = config_error(write("""\
        source:
          type: postgres
          host: h
          database: d
          user: u
          password: ${DX_TEST_NOT_SET}
        """))
    assert "source.password" in message and "DX_TEST_NOT_SET" in message


def test_missing_variable_inside_a_table_entry_names_its_index(write, monkeypatch):
    monkeypatch.delenv("DX_TEST_NOT_SET", raising=False)
    message = config_error(write(SOURCE + "tables:\n  - a\n  - {name: b, where: 'x > ${DX_TEST_NOT_SET}'}\n"))
    assert "tables[1].where" in message and "DX_TEST_NOT_SET" in message


# --------------------------------------------------------------- env overrides


def test_environment_overrides_win_over_the_file(write, monkeypatch):
    monkeypatch.setenv("PGPASSWORD", SECRET)
    monkeypatch.setenv("DATA_EXTRACTOR__SOURCE__HOST", "override.example.com")
    monkeypatch.setenv("DATA_EXTRACTOR__DEFAULTS__PARALLEL_TABLES", "5")
    config = load_config(write(FULL))
    assert config.source.host == "override.example.com"
    assert config.defaults.parallel_tables == 5
    assert config.source.database == "shop" and config.defaults.fetch_size == 10000  # the rest from the file
    assert config.defaults.partitioning.max_partitions == 64


def test_environment_override_can_supply_a_key_the_file_lacks(write, monkeypatch):
    monkeypatch.setenv("DATA_EXTRACTOR__SOURCE__HOST", "from-env")
    config = load_config(write("source: {type: postgres, database: d, user: u}\n"))
    assert config.source.host == "from-env"


def test_bad_environment_override_is_blamed_on_the_key_and_mentions_overrides(write, monkeypatch):
    monkeypatch.setenv("DATA_EXTRACTOR__DEFAULTS__PARALLEL_TABLES", "lots")
    message = config_error(write(SOURCE))
    assert "defaults.parallel_tables" in message and "environment variables override" in message


# --------------------------------------------------------------------- errors


def test_unknown_top_level_key_names_the_key_and_its_line(write):
    message = config_error(write(SOURCE + "sparks: {master: local}\n"))
    assert "config error at sparks" in message and "line 7" in message and "unknown key" in message


def test_misspelt_table_key_names_the_dotted_path_and_its_line(write):
    message = config_error(write(with_source("""\
        tables:
          - name: public.orders
            partitionning: {strategy: balanced}
        """)))
    assert "tables[0].partitionning" in message and "line 9" in message


def test_unknown_nested_key_in_a_flow_mapping_names_its_path(write):
    message = config_error(write(SOURCE + "defaults: {partitioning: {strategy: auto, target_row: 10}}\n"))
    assert "defaults.partitioning.target_row" in message and "line 7" in message


def test_wrong_type_names_the_key_and_its_line(write):
    message = config_error(write(SOURCE + "defaults:\n  parallel_tables: many\n"))
    assert "defaults.parallel_tables" in message and "line 8" in message and "integer" in message


def test_malformed_yaml_gives_line_and_column(write):
    message = config_error(write("source:\n  type: postgres\n  host: [oops\n  user: u\n"))
    assert "not valid YAML" in message
    assert "line 4" in message and "column" in message


def test_tab_indentation_is_reported_as_yaml_error_with_position(write):
    message = config_error(write("source:\n\ttype: sqlite\n"))
    assert "not valid YAML at line 2, column 1" in message


def test_missing_file_and_non_mapping_file_are_config_errors(tmp_path, write):
    assert "does not exist" in config_error(tmp_path / "nope.yaml")
    assert "mapping" in config_error(write("- just\n- a list\n"))


def test_missing_source_section_is_named(write):
    assert "config error at source" in config_error(write("tables: [a]\n"))


@pytest.mark.parametrize("partitions", [0, 1_000_000])
def test_partition_count_out_of_bounds_is_refused(write, partitions):
    table = f"tables:\n  - name: a\n    partitioning: {{partitions: {partitions}}}\n"
    message = config_error(write(SOURCE + table))
    assert "tables[0].partitioning.partitions" in message and "line 9" in message


def test_unknown_strategy_is_refused_naming_the_key_and_the_choices(write):
    message = config_error(write(SOURCE + "defaults:\n  partitioning:\n    strategy: zigzag\n"))
    assert "defaults.partitioning.strategy" in message and "line 9" in message
    assert "balanced" in message and "physical" in message


def test_unknown_source_type_lists_the_known_ones(write):
    message = config_error(write("source:\n  type: nosuchdb\n  host: h\n"))
    assert "source.type" in message and "'nosuchdb'" in message
    for known in ("oracle", "postgres", "sqlite"):
        assert known in message


def test_source_type_aliases_are_accepted(write):
    pg = write("source: {type: PostgreSQL, host: h, database: d, user: u}\n")
    assert load_config(pg).source.type == "postgres"
    assert load_config(write("source: {type: sqlite3, path: x.db}\n")).source.type == "sqlite"


def test_postgres_source_without_host_names_source_host(write):
    message = config_error(write("source:\n  type: postgres\n  database: d\n  user: u\n"))
    assert "source.host" in message


def test_sqlite_source_without_path_names_source_path(write):
    assert "source.path" in config_error(write("source: {type: sqlite}\n"))


def test_bad_number_type_is_refused_with_the_expected_form(write):
    message = config_error(write("source: {type: oracle, dsn: x, user: u, password: p, number_type: int}\n"))
    assert "source.number_type" in message and "decimal(p,s)" in message


def test_empty_column_list_is_refused(write):
    message = config_error(write(SOURCE + "tables: [{name: a, columns: []}]\n"))
    assert "tables[0].columns" in message


@pytest.mark.parametrize(
    "tail",
    [
        "defaults:\n  parallel_tables: many\n",
        "tables:\n  - name: a\n    partitionning: {strategy: hash}\n",
        "source_typo: 1\n",
        "spark: {master: [unclosed\n",
        "output: {compression: brotli}\n",
    ],
    ids=["wrong-type", "unknown-table-key", "unknown-top-key", "malformed-yaml", "bad-choice"],
)
def test_password_appears_in_no_error_even_when_the_config_is_invalid_elsewhere(write, tail):
    with pytest.raises(ConfigError) as info:
        load_config(write(SOURCE + tail))
    for exc in chain(info.value):
        assert SECRET not in str(exc) and SECRET not in repr(exc)


def test_password_appears_in_no_error_when_the_source_section_itself_is_invalid(write):
    with pytest.raises(ConfigError) as info:
        load_config(write(f"source:\n  type: postgres\n  database: d\n  user: u\n  password: {SECRET}\n"))
    assert "source.host" in str(info.value)
    for exc in chain(info.value):
        assert SECRET not in str(exc) and SECRET not in repr(exc)


def test_password_on_a_malformed_line_is_not_quoted_back(write):
    with pytest.raises(ConfigError) as info:
        load_config(write(f"source:\n  type: postgres\n  password: {SECRET}: oops\n"))
    assert "line 3" in str(info.value)
    for exc in chain(info.value):
        assert SECRET not in str(exc)


def test_dict_configs_are_validated_the_same_way():
    with pytest.raises(ConfigError, match=r"defaults\.fetch_size"):
        load_config({"source": {"type": "sqlite", "path": "x.db"}, "defaults": {"fetch_size": 0}})
    assert isinstance(load_config({"source": {"type": "sqlite", "path": "x.db"}}), ExtractorConfig)


# -------------------------------------------------------------- sample configs


@pytest.mark.parametrize("name", ["sqlite.yaml", "postgres.yaml", "oracle.yaml", "mariadb.yaml", "jdbc.yaml"])
def test_each_sample_config_loads(name, monkeypatch):
    monkeypatch.setenv("PGPASSWORD", "sample-pg-password")
    monkeypatch.setenv("ORACLE_PASSWORD", "sample-oracle-password")
    monkeypatch.setenv("MYSQL_PASSWORD", "sample-mysql-password")
    monkeypatch.setenv("DB_PASSWORD", "sample-db-password")
    config = load_config(SAMPLES / name)
    assert config.source.type == {"mariadb": "mysql"}.get(name.removesuffix(".yaml"), name.removesuffix(".yaml"))
    assert config.tables, "every sample lists at least one table"
    if name != "sqlite.yaml":
        assert config.source.password.get_secret_value().startswith("sample-")
    if name in ("postgres.yaml", "oracle.yaml", "mariadb.yaml"):
        strategies = {config.partitioning_for(t).strategy for t in config.tables}
        assert len(strategies) >= 2, "the samples show more than one partitioning strategy"

"""Issue 15, items 5-8: bad input is refused before Spark starts, with exit 2 and one line naming cause and fix.

Each CLI case runs the real `data-extractor` against a SQLite file; a refused run must create no output folder.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from data_extractor.config.models import ENV_PREFIX, load_config
from data_extractor.errors import ConfigError

SECRET = "s3cr3t-Pa55"


def cli(*args: str | Path, env: dict[str, str] | None = None, timeout: float = 120
        ) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.upper().startswith(ENV_PREFIX)}
    return subprocess.run([sys.executable, "-m", "data_extractor", *map(str, args)], capture_output=True,
                          text=True, env={**clean, **(env or {})}, timeout=timeout)


def one_line(result: subprocess.CompletedProcess[str], code: int = 2) -> str:
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert SECRET not in result.stderr + result.stdout
    return lines[0]


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("early") / "shop.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE small1 (id INTEGER PRIMARY KEY, v TEXT)")
    conn.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, at TEXT)")
    conn.executemany("INSERT INTO small1 VALUES (?, ?)", [(i, f"v{i}") for i in range(10)])
    conn.commit()
    conn.close()
    return path


def write(path: Path, data: dict | str | bytes) -> Path:
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def base(db: Path, out: Path, **extra) -> dict:
    return {"source": {"type": "sqlite", "path": str(db)}, "output": {"path": str(out)},
            "tables": ["small1"], **extra}


@pytest.fixture()
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.upper().startswith(ENV_PREFIX):
            monkeypatch.delenv(key)


# ------------------------------------------------------------------ the config file

def test_a_config_that_is_not_utf8_is_refused_in_one_line(tmp_path, db):
    cfg = write(tmp_path / "latin1.yaml", yaml.safe_dump(base(db, tmp_path / "out")).encode()
                + "# caf\u00e9\n".encode("latin-1"))
    for command in (["validate", "--offline"], ["run"]):
        line = one_line(cli(command[0], "-c", cfg, *command[1:]))
        assert "not UTF-8" in line and "save it as UTF-8" in line and "line" in line
    assert not (tmp_path / "out").exists()


def test_a_yaml_alias_bomb_is_refused_at_once(tmp_path, db, clean_env):
    bomb = 'a: &a ["x","x","x","x","x","x","x","x","x"]\n'
    for level in range(1, 10):
        bomb += f'{chr(97 + level)}: &{chr(97 + level)} [{",".join([f"*{chr(96 + level)}"] * 9)}]\n'
    cfg = write(tmp_path / "bomb.yaml", bomb)
    assert len(bomb) < 700
    t0 = time.monotonic()
    with pytest.raises(ConfigError, match="alias bomb"):
        load_config(cfg)
    assert time.monotonic() - t0 < 30  # before the guard it was still expanding after 120 s


def test_a_yaml_alias_that_refers_to_itself_is_refused(tmp_path, clean_env):
    cfg = write(tmp_path / "loop.yaml", "source: &s {type: sqlite, path: x.db, options: *s}\n")
    with pytest.raises(ConfigError, match="refers to itself"):
        load_config(cfg)


def test_ordinary_aliases_still_work(tmp_path, db, clean_env):
    text = (f"source: {{type: sqlite, path: {db}}}\n"
            "defaults:\n  partitioning: &p {strategy: none}\n"
            "tables:\n  - {name: small1, partitioning: *p}\n  - {name: events, partitioning: *p}\n")
    config = load_config(write(tmp_path / "ok.yaml", text))
    assert [t.partitioning.strategy for t in config.tables] == ["none", "none"]


def test_an_oversized_file_is_refused(tmp_path, clean_env):
    cfg = tmp_path / "huge.yaml"
    cfg.write_bytes(b"# " + b"x" * (5 << 20))
    with pytest.raises(ConfigError, match="more than a config can be"):
        load_config(cfg)


def test_an_empty_output_path_is_refused(tmp_path, db, clean_env):
    with pytest.raises(ConfigError, match=r"output\.path.*empty path"):
        load_config(base(db, Path("x"), output={"path": "  "}))


def test_an_unclosed_variable_is_refused_without_quoting_the_value(tmp_path, db, clean_env, monkeypatch):
    monkeypatch.setenv("RDPW", SECRET)
    cfg = base(db, tmp_path)
    cfg["source"]["password"] = f"{SECRET}${{RDPW"
    with pytest.raises(ConfigError) as info:
        load_config(cfg)
    text = str(info.value)
    assert "source.password" in text and "${RDPW is not closed" in text and SECRET not in text


def test_a_closed_variable_next_to_a_literal_dollar_is_fine(tmp_path, db, clean_env, monkeypatch):
    monkeypatch.setenv("RDPW", "pw")
    cfg = base(db, tmp_path)
    cfg["source"]["password"] = "a$b${RDPW}"
    assert load_config(cfg).source.password.get_secret_value() == "a$bpw"


# ------------------------------------------------------------------ environment overrides

def test_an_override_that_is_not_json_is_refused_in_one_line(tmp_path, db):
    cfg = write(tmp_path / "c.yaml", base(db, tmp_path / "out"))
    line = one_line(cli("run", "-c", cfg, env={"DATA_EXTRACTOR__TABLES": "not json"}))
    assert "DATA_EXTRACTOR__TABLES must be JSON" in line
    assert not (tmp_path / "out").exists()


def test_an_unknown_override_key_is_refused(tmp_path, db):
    cfg = write(tmp_path / "c.yaml", base(db, tmp_path / "out"))
    line = one_line(cli("validate", "--offline", "-c", cfg, env={"DATA_EXTRACTOR__BOGUS": "1"}))
    assert "DATA_EXTRACTOR__BOGUS" in line and "bogus is unknown" in line
    line = one_line(cli("validate", "--offline", "-c", cfg, env={"DATA_EXTRACTOR__OUTPUT__PATHH": "x"}))
    assert "output.pathh is unknown" in line


def test_known_overrides_still_apply(tmp_path, db, clean_env, monkeypatch):
    monkeypatch.setenv("DATA_EXTRACTOR__OUTPUT__COMPRESSION", "zstd")
    monkeypatch.setenv("DATA_EXTRACTOR__SOURCE__OPTIONS__TIMEOUT", "5")
    monkeypatch.setenv("DATA_EXTRACTOR__TABLES", '["events"]')
    config = load_config(base(db, tmp_path))
    assert config.output.compression == "zstd" and [t.name for t in config.tables] == ["events"]


# ------------------------------------------------------------------ tables and flags

def test_a_table_listed_twice_in_the_config_is_refused(tmp_path, db, clean_env):
    with pytest.raises(ConfigError, match="listed twice"):
        load_config(base(db, tmp_path, tables=["small1", {"name": "SMALL1", "columns": ["id"]}]))


def test_one_table_given_twice_on_the_command_line_is_refused(tmp_path, db):
    cfg = write(tmp_path / "c.yaml", base(db, tmp_path / "out"))
    line = one_line(cli("run", "-c", cfg, "-t", "main.small1", "-t", "SMALL1"))
    assert "list it once" in line and "nothing was extracted" in line
    assert not (tmp_path / "out").exists()


def test_two_tables_that_would_publish_to_one_folder_are_refused(tmp_path):
    path = tmp_path / "slash.db"
    conn = sqlite3.connect(path)
    conn.execute('CREATE TABLE "a/b" (id INTEGER PRIMARY KEY)')
    conn.execute("CREATE TABLE a_b (id INTEGER PRIMARY KEY)")
    conn.commit()
    conn.close()
    cfg = write(tmp_path / "c.yaml", base(path, tmp_path / "out", tables=['"a/b"', "a_b"]))
    line = one_line(cli("run", "-c", cfg))
    assert "would publish to one folder (main/a_b" in line and "separate output paths" in line
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("flags", "words"), [
    (["--from", "2026-02-01", "--to", "2026-01-01"], "swap them"),
    (["--run-date", "2026-01-01", "--from", "2026-01-01", "--to", "2026-01-02"], "one or the other"),
    (["--from", "2026-01-01"], "--from needs --to"),
    (["--to", "2026-01-01"], "--to needs --from"),
])
def test_window_flags_are_checked_before_anything_starts(tmp_path, db, flags, words):
    cfg = write(tmp_path / "c.yaml", base(db, tmp_path / "out", source={"type": "sqlite",
                                                                         "path": str(tmp_path / "none.db")}))
    line = one_line(cli("run", "-c", cfg, *flags))  # the source does not exist: flags are checked first
    assert words in line
    assert not (tmp_path / "out").exists() and not (tmp_path / "none.db").exists()


def test_a_missing_column_suggests_listing_the_columns_not_the_tables(tmp_path, db):
    cfg = write(tmp_path / "c.yaml", base(db, tmp_path / "out", tables=[{"name": "small1", "columns": ["zzz"]}]))
    line = one_line(cli("validate", "-c", cfg))
    assert "column 'zzz' was not found" in line and "list the columns" in line and "--table" in line


def test_no_space_left_names_the_fix():
    from data_extractor.errors import one_line as say

    text = say(OSError(28, "No space left on device"))
    assert "free space" in text and "output.path" in text


# ------------------------------------------------------------------ signals and logs

def _big_db(tmp_path: Path) -> Path:
    path = tmp_path / "big.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE big (id INTEGER PRIMARY KEY, v TEXT)")
    conn.execute("WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < 3000000) "
                 "INSERT INTO big SELECT i, printf('%080d', i) FROM g")
    conn.commit()
    conn.close()
    return path


@pytest.mark.spark
@pytest.mark.parametrize(("sig", "code", "word"), [(signal.SIGTERM, 143, "terminated"),
                                                    (signal.SIGINT, 130, "interrupted")])
def test_a_signal_ends_the_run_with_a_message_and_its_exit_code(tmp_path, sig, code, word):
    out = tmp_path / "out"
    cfg = write(tmp_path / "c.yaml", {"source": {"type": "sqlite", "path": str(_big_db(tmp_path))},
                                      "spark": {"master": "local[1]"}, "output": {"path": str(out)},
                                      "defaults": {"partitioning": {"strategy": "range", "partitions": 4}},
                                      "tables": ["big"]})
    clean = {k: v for k, v in os.environ.items() if not k.upper().startswith(ENV_PREFIX)}
    proc = subprocess.Popen([sys.executable, "-m", "data_extractor", "run", "-c", str(cfg), "--log-level", "info"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=clean)
    deadline = time.monotonic() + 120
    # the table's own staging folder: Spark is up and its read has started (a loaded machine starts slowly)
    while time.monotonic() < deadline and not list(out.glob("_data_extractor/staging/*/*big")):
        time.sleep(0.2)
    time.sleep(1)  # inside the read
    proc.send_signal(sig)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == code, stderr[-2000:]
    ours = [line for line in stderr.splitlines() if line.startswith("error:")]
    assert len(ours) == 1 and ours[0].startswith(f"error: {word}"), stderr[-2000:]
    assert "Traceback" not in stderr
    assert not (out / "main" / "big").exists()


@pytest.mark.spark
def test_log_level_debug_prints_debug_lines(tmp_path, db):
    cfg = write(tmp_path / "c.yaml", {**base(db, tmp_path / "out"), "spark": {"master": "local[1]"}})
    result = cli("run", "-c", cfg, "--log-level", "debug")
    assert result.returncode == 0, result.stderr
    assert " DEBUG " in result.stderr and "partition 0:" in result.stderr

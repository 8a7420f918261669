"""The store's SQL as PostgreSQL reads it (bot/store/dialect.py), and a check that every statement the
store holds is SQL both backends read: SQLite-only SQL is found here, not in a member's command."""

from __future__ import annotations

import ast
import itertools
import re
from pathlib import Path

import pytest

from bot.store.dialect import NotPortable, inserted_table, to_postgresql
from tests.postgres import postgres_database

STORE = Path(__file__).resolve().parent.parent / "bot" / "store"
# Modules that speak to SQLite alone (its file, its pragmas, its bulk loader) or build PostgreSQL's own SQL.
SQLITE_ONLY = {"bulk.py", "migrate.py", "preflight.py", "connection.py", "database.py", "group_commit.py",
               "remembered.py", "postgresql.py", "postgresql_database.py", "dialect.py"}  # fmt: skip
# Statements behind a branch on the backend (`dialect == "postgresql"` or an sqlite3.Connection check).
BRANCHED = ("PRAGMA table_info",)


@pytest.mark.parametrize(
    ("sqlite", "postgresql"),
    [
        ("SELECT a FROM t WHERE b = ? AND c = ?", "SELECT a FROM t WHERE b = %s AND c = %s"),
        ("SELECT '?', ? FROM t WHERE x LIKE 'a%'", "SELECT '?', %s FROM t WHERE x LIKE 'a%%'"),
        ("SELECT \"odd?name\" FROM t WHERE y = ?", "SELECT \"odd?name\" FROM t WHERE y = %s"),
        ("SELECT 'it''s ?' WHERE z = ?", "SELECT 'it''s ?' WHERE z = %s"),
        ("INSERT OR IGNORE INTO t (a) VALUES (?)", "INSERT INTO t (a) VALUES (%s) ON CONFLICT DO NOTHING"),
        ("SELECT 1 WHERE a IS ? AND b IS NOT ?", "SELECT 1 WHERE a IS NOT DISTINCT FROM %s AND b IS DISTINCT FROM %s"),
        ("SELECT group_concat(url, char(10)) FROM t", "SELECT string_agg(url, chr(10)) FROM t"),
        ("BEGIN IMMEDIATE", "BEGIN"),
        ("SELECT 1 WHERE a IS NULL", "SELECT 1 WHERE a IS NULL"),
    ],
)  # fmt: skip
def test_sqlite_spellings_are_rewritten_and_literals_left_alone(sqlite: str, postgresql: str) -> None:
    assert to_postgresql(sqlite) == postgresql


def test_an_insert_whose_id_is_wanted_returns_it() -> None:
    assert to_postgresql("INSERT INTO t (a) VALUES (?)", True) == "INSERT INTO t (a) VALUES (%s) RETURNING id"
    ignored = to_postgresql("INSERT OR IGNORE INTO t (a) VALUES (?);", True)
    assert ignored == "INSERT INTO t (a) VALUES (%s) ON CONFLICT DO NOTHING RETURNING id"
    assert inserted_table("  insert or ignore into Reports (a) VALUES (1)") == "reports"
    assert inserted_table("UPDATE t SET a = 1") is None


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT OR REPLACE INTO t VALUES (1)",
        "SELECT iif(a, 1, 2) FROM t",
        "SELECT value FROM json_each(?)",
        "SELECT rowid FROM t",
        "SELECT datetime('now')",
        "SELECT * FROM f WHERE f MATCH ?",
        "PRAGMA user_version",
    ],
)
def test_sqlite_only_sql_is_refused_before_it_reaches_postgresql(statement: str) -> None:
    with pytest.raises(NotPortable):
        to_postgresql(statement)


def _statements(path: Path, f_strings: bool = True) -> list[str]:
    """Every SQL statement written in a module: string constants (adjacent ones joined, as Python does)
    and f-strings, with each {…} read as a plain name."""
    found = []
    tree = ast.parse(path.read_text(encoding="utf-8"))
    parts = {id(part) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for part in node.values}
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in parts:
            text = node.value
        elif isinstance(node, ast.JoinedStr) and f_strings:
            text = "".join(part.value if isinstance(part, ast.Constant) else "x" for part in node.values)
        else:
            continue
        if text.lstrip().upper().startswith(("SELECT ", "INSERT ", "UPDATE ", "DELETE ", "WITH ")):
            found.append(text)
    return found


def test_every_statement_of_the_store_is_read_by_both_backends() -> None:
    checked = 0
    for path in sorted(STORE.glob("*.py")):
        if path.name in SQLITE_ONLY:
            continue
        for statement in _statements(path):
            if any(mark in statement for mark in BRANCHED):
                continue
            to_postgresql(statement)  # raises NotPortable, naming the statement
            checked += 1
    assert checked > 100  # the walk found the store's SQL


def _numbered_placeholders(sql: str) -> str:
    """psycopg's `%s` as PREPARE's `$1`, `$2` …"""
    place = itertools.count(1)
    return re.sub(r"%[s%]", lambda found: f"${next(place)}" if found[0] == "%s" else "%", sql)


def test_postgresql_plans_every_statement_of_the_store(postgres: str, postgres_seed: str) -> None:
    """Each statement, as PostgreSQL reads it, is prepared (parsed, its names resolved and its types
    checked, nothing run) against the migrated schema. Reading the words is not enough: a COALESCE of
    text and 0, a CASE WHEN on a number and a subquery without an alias passed the test above and failed
    only on PostgreSQL, in the site and the charts."""
    import psycopg

    numbered = itertools.count(1)
    refused = []
    with postgres_database(postgres, template=postgres_seed) as url, psycopg.connect(url, autocommit=True) as conn:
        for path in sorted(STORE.glob("*.py")):
            if path.name in SQLITE_ONLY:
                continue
            for statement in _statements(path, f_strings=False):
                if any(mark in statement for mark in BRANCHED):
                    continue
                sql = _numbered_placeholders(to_postgresql(statement))
                name = f"checked_{next(numbered)}"
                try:
                    conn.execute(f"PREPARE {name} AS {sql}")  # type: ignore[arg-type]  # SQL built from the store's
                    conn.execute(f"DEALLOCATE {name}")  # type: ignore[arg-type]
                except psycopg.errors.IndeterminateDatatype:
                    pass  # a parameter whose type only its value gives: the statement itself was read
                except psycopg.Error as error:
                    refused.append(f"{path.name}: {' '.join(str(error).split())[:200]}\n    {statement[:200]}")
    assert next(numbered) > 100  # the walk found the store's SQL
    assert refused == [], "\n".join(refused)

"""The store's SQL as PostgreSQL reads it.

The store's statements are written once, in the SQL that SQLite and PostgreSQL share, with SQLite's
`?` placeholders. What SQLite spells its own way is rewritten here, once per distinct statement:
placeholders, `INSERT OR IGNORE`, `IS ?` (SQLite's null-safe equality), `group_concat`, `char`, and the
id of an inserted row (`RETURNING id`, where SQLite offers `lastrowid`). Anything SQLite-only that
is not listed here is refused at once, never sent to PostgreSQL to fail in a member's command.
"""

from __future__ import annotations

import re
from functools import lru_cache

_WORDS = (
    (re.compile(r"\bINSERT OR IGNORE INTO\b", re.IGNORECASE), "INSERT INTO"),
    (re.compile(r"\bBEGIN IMMEDIATE\b", re.IGNORECASE), "BEGIN"),
    (re.compile(r"\bgroup_concat\(", re.IGNORECASE), "string_agg("),
    (re.compile(r"\bchar\((\d+)\)", re.IGNORECASE), r"chr(\1)"),
    (re.compile(r"\bIS NOT \?", re.IGNORECASE), "IS DISTINCT FROM ?"),
    (re.compile(r"\bIS \?", re.IGNORECASE), "IS NOT DISTINCT FROM ?"),
)
_IGNORED = re.compile(r"^\s*INSERT OR IGNORE INTO\b", re.IGNORECASE)
_INSERT = re.compile(r"^\s*INSERT\s+(?:OR\s+IGNORE\s+)?INTO\s+(\w+)", re.IGNORECASE)
RETURNING = re.compile(r"\bRETURNING\b", re.IGNORECASE)
_SQLITE_ONLY = re.compile(
    r"\b(?:INSERT OR REPLACE|REPLACE INTO|iif|ifnull|json_each|julianday|strftime|datetime|rowid|MATCH|PRAGMA|GLOB)\b",
    re.IGNORECASE,
)


class NotPortable(ValueError):
    """A statement the store would send to PostgreSQL uses SQL only SQLite understands."""


@lru_cache(maxsize=2048)
def to_postgresql(statement: str, returning_id: bool = False) -> str:
    """`statement` as PostgreSQL reads it, its placeholders in psycopg's `%s` form.

    `returning_id`: an INSERT whose new row's id is wanted (the caller reads it as SQLite's
    `lastrowid`) gets `RETURNING id`.
    """
    code, literals = _split_literals(statement)
    if found := _SQLITE_ONLY.search(code):
        raise NotPortable(f"{found.group(0)!r} is SQLite's own SQL: {statement[:120]}")
    ignored = bool(_IGNORED.match(code))
    for pattern, replacement in _WORDS:
        code = pattern.sub(replacement, code)
    tail = ""
    if ignored:
        tail += " ON CONFLICT DO NOTHING"
    if returning_id and not RETURNING.search(code):
        tail += " RETURNING id"
    if tail:
        code = code.rstrip().rstrip(";") + tail
    code = code.replace("%", "%%").replace("?", "%s")
    return _join_literals(code, [literal.replace("%", "%%") for literal in literals])


def inserted_table(statement: str) -> str | None:
    """The table an INSERT statement writes to (None for any other statement)."""
    found = _INSERT.match(statement)
    return found.group(1).lower() if found else None


_MARK = "\x00"  # never in SQL text: PostgreSQL refuses NUL, and the store never writes one in a statement


def _split_literals(statement: str) -> tuple[str, list[str]]:
    """The statement with each quoted literal ('…' and "…") replaced by a mark, and the literals: so that
    rewriting never touches a `?`, a `%` or a word inside quotes."""
    code: list[str] = []
    literals: list[str] = []
    position = 0
    for found in re.finditer(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"", statement):
        code.append(statement[position : found.start()])
        code.append(_MARK)
        literals.append(found.group(0))
        position = found.end()
    code.append(statement[position:])
    return "".join(code), literals


def _join_literals(code: str, literals: list[str]) -> str:
    parts = code.split(_MARK)
    assert len(parts) == len(literals) + 1, "a statement held the literal mark"
    out = [parts[0]]
    for literal, part in zip(literals, parts[1:], strict=True):
        out.append(literal)
        out.append(part)
    return "".join(out)

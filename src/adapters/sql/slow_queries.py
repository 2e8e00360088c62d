"""Slow-query log over SQLAlchemy engine events: fingerprint and duration, never parameters.

A statement that takes longer than the threshold is logged at WARNING as
``slow query 231.4ms fp=1f2e3d4c sql=SELECT ... WHERE users.email_index = ?``. The SQL is
*fingerprinted*: bound parameters (``?``, ``$1``, ``%(name)s``, ``:name``), quoted strings and
numeric literals become ``?``, ``IN (?, ?, ?)`` and multi-row ``VALUES`` collapse to one
placeholder group, and whitespace is collapsed, so a log line carries no value a request sent (no
email, phone number or name, even when a statement was rendered with inline literals) and the
same query always has the same ``fp`` (a short BLAKE2 digest of the fingerprint) to group by.
A statement that fails after running past the threshold (a statement timeout) is logged too.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from functools import lru_cache
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

logger = logging.getLogger(__name__)

_STARTED = "slow_query_started"
_MAX_SQL_CHARS = 2000

_COMMENTS = re.compile(r"--[^\n]*|/\*.*?\*/", re.DOTALL)
_STRINGS = re.compile(r"(?:[EeBbXxNn])?'(?:[^']|'')*'")
_DOLLAR_QUOTED = re.compile(r"\$(\w*)\$.*?\$\1\$", re.DOTALL)
_PARAMS = re.compile(r"\$\d+|%\(\w+\)s|%s|(?<![:\w]):\w+|\?")
_NUMBERS = re.compile(r"(?<![\w$.])-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?(?![\w])")
_LISTS = re.compile(r"\(\s*\?(?:\s*,\s*\?)+\s*\)")
_ROWS = re.compile(r"\(\?\)(?:\s*,\s*\(\?\))+")
_SPACE = re.compile(r"\s+")


@lru_cache(maxsize=1024)
def fingerprint(statement: str) -> tuple[str, str]:
    """``(digest, normalised sql)`` for a statement: literals and parameters stripped."""
    sql = _COMMENTS.sub(" ", statement)
    sql = _DOLLAR_QUOTED.sub("?", sql)
    sql = _STRINGS.sub("?", sql)
    sql = _PARAMS.sub("?", sql)
    sql = _NUMBERS.sub("?", sql)
    sql = _SPACE.sub(" ", sql).strip()
    sql = _LISTS.sub("(?)", sql)
    sql = _ROWS.sub("(?)", sql)
    if len(sql) > _MAX_SQL_CHARS:
        sql = sql[:_MAX_SQL_CHARS] + "..."
    digest = hashlib.blake2b(sql.encode(), digest_size=4).hexdigest()
    return digest, sql


def install_slow_query_log(engine: Engine, *, threshold_ms: float) -> None:
    """Log statements on ``engine`` (an AsyncEngine's ``sync_engine``) slower than ``threshold_ms``."""
    threshold = threshold_ms / 1000

    def before(conn: Any, _cursor: Any, _statement: str, _params: Any, _context: Any, _many: bool) -> None:
        conn.info[_STARTED] = time.perf_counter()  # one statement at a time per connection

    def after(conn: Any, _cursor: Any, statement: str, _params: Any, _context: Any, _many: bool) -> None:
        _finished(conn, statement, failed=False)

    def on_error(context: Any) -> None:
        if context.connection is not None and context.statement is not None:
            _finished(context.connection, context.statement, failed=True)

    def _finished(conn: Any, statement: str, *, failed: bool) -> None:
        started = conn.info.pop(_STARTED, None)
        if started is None:
            return
        elapsed = time.perf_counter() - started
        if elapsed >= threshold:
            digest, sql = fingerprint(statement)
            logger.warning(
                "slow query %.1fms%s fp=%s sql=%s", elapsed * 1000, " (failed)" if failed else "", digest, sql
            )

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    event.listen(engine, "handle_error", on_error)

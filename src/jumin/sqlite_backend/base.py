"""Django's SQLite backend, with a process-wide gate in front of ``BEGIN IMMEDIATE`` (docs/architecture.md).

SQLite lets one writer at a time hold a database file. A thread whose ``BEGIN IMMEDIATE`` finds the file
locked is put to sleep by SQLite's busy handler for 1, 2, 5, … up to 100 ms between tries, so it starts
well after the lock is free. In a node, the node port's threads and the delivery worker take turns at
the same file all the time (a received batch, then its receipts), and those sleeps were a large part of
each hop's wait. Threads of one process now queue on a lock per database file before they begin, and the
next one starts as soon as the previous one commits or rolls back. Other processes still meet SQLite's
own lock and busy handler, as before; the gate changes who waits where, never what is written.

A thread that cannot get the gate within the connection's busy timeout begins anyway and leaves the
outcome to SQLite (the "database is locked" error it would have had), so nothing waits forever. In-memory
databases (the test database) and transactions without ``IMMEDIATE`` or ``EXCLUSIVE`` are not gated.
"""

from __future__ import annotations

import threading
from typing import Any

from django.db.backends.sqlite3 import base

from jumin.sqlite_backend import checkpoints

#: SQLite's own default busy timeout (seconds), used when the settings give none.
DEFAULT_TIMEOUT = 5.0

_gates: dict[str, threading.Lock] = {}
_gates_guard = threading.Lock()


def write_gate(name: str) -> threading.Lock:
    """The process's gate for the database file ``name`` (one lock per file, created on first use)."""
    with _gates_guard:
        return _gates.setdefault(name, threading.Lock())


#: Typed loosely: django-stubs do not declare the private hooks overridden below.
_SQLiteWrapper: Any = base.DatabaseWrapper


class DatabaseWrapper(_SQLiteWrapper):  # type: ignore[misc]
    """``django.db.backends.sqlite3`` with the write gate (module docstring)."""

    _held_gate: threading.Lock | None = None

    def get_new_connection(self, conn_params: Any) -> Any:
        new = super().get_new_connection(conn_params)
        if checkpoints.autocheckpoint_pages is not None:  # a process that checkpoints in the background
            new.execute(f"PRAGMA wal_autocheckpoint={int(checkpoints.autocheckpoint_pages)}")
        return new

    def _gate(self) -> threading.Lock | None:
        if self.transaction_mode not in ("IMMEDIATE", "EXCLUSIVE") or self.is_in_memory_db():
            return None
        return write_gate(str(self.settings_dict["NAME"]))

    def _start_transaction_under_autocommit(self) -> None:
        gate = self._gate()
        timeout = float(self.settings_dict.get("OPTIONS", {}).get("timeout", DEFAULT_TIMEOUT))
        held = gate is not None and gate.acquire(timeout=timeout)
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            if held and gate is not None:
                gate.release()
            raise
        self._held_gate = gate if held else None

    def _open_gate(self) -> None:
        gate, self._held_gate = self._held_gate, None
        if gate is not None:
            gate.release()

    def _commit(self) -> Any:
        try:
            return super()._commit()
        finally:
            self._open_gate()

    def _rollback(self) -> Any:
        try:
            return super()._rollback()
        finally:
            self._open_gate()

    def _close(self) -> Any:
        try:
            return super()._close()
        finally:
            self._open_gate()

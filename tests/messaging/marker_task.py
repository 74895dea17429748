"""A background job for test_serve.py: writes a marker file, so a test sees that `jumin serve` ran it."""

from __future__ import annotations

from pathlib import Path

from django_tasks import task


@task()
def write_marker(path: str) -> None:
    """Write ``ran`` to ``path``."""
    Path(path).write_text("ran", encoding="utf-8")

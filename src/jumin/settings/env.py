"""Read node configuration from the environment.

Kept free of Django so that the CLI can report configuration errors before Django starts.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

NODE_KINDS = ("municipality", "prefecture", "national", "nyukan_terminal", "nyukan_agency")

# The repository root in a checkout (src/jumin/settings/env.py → three levels up); var/ lives here.
BASE_DIR_DEFAULT = Path(__file__).resolve().parents[3]

# Known only to demo and test mode: a node started with it outside demo mode refuses to run.
DEMO_SECRET_KEY = "jumin-demo-secret-key-not-for-production"


class ConfigurationError(Exception):
    """The node's environment is incomplete or unsafe; the message says which variable to set."""


@dataclass(frozen=True)
class NodeConfig:
    """The node this process runs as (architecture.md §1)."""

    kind: str
    code: str
    demo: bool


def env_flag(name: str, default: bool = False) -> bool:
    """A boolean environment variable: 1/true/yes/on are true."""
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def node_config() -> NodeConfig:
    """Node kind and code from JUMIN_NODE_KIND and JUMIN_NODE_CODE (default: 佐世保市 422029)."""
    kind = os.environ.get("JUMIN_NODE_KIND", "municipality")
    if kind not in NODE_KINDS:
        raise ConfigurationError(f"JUMIN_NODE_KIND must be one of {', '.join(NODE_KINDS)}")
    code = os.environ.get("JUMIN_NODE_CODE", "422029")
    if not (code.isascii() and code.isdigit()):
        raise ConfigurationError(
            "JUMIN_NODE_CODE must be digits (a 全国地方公共団体コード, or 00 for national)"
        )
    return NodeConfig(kind=kind, code=code, demo=env_flag("JUMIN_DEMO"))


def secret_key(*, demo: bool) -> str:
    """JUMIN_SECRET_KEY; outside demo mode a missing or demo key is refused (issue 2 item 7)."""
    key = os.environ.get("JUMIN_SECRET_KEY", "")
    if demo:
        return key or DEMO_SECRET_KEY
    if not key or key == DEMO_SECRET_KEY or len(key) < 50:
        raise ConfigurationError(
            "JUMIN_SECRET_KEY must be set to a random value of at least 50 characters outside demo mode"
        )
    return key


def sqlite_cache_mib() -> int:
    """Each SQLite connection's page cache in MiB: ``JUMIN_SQLITE_CACHE_MIB``, default 64 (at least 2)."""
    raw = os.environ.get("JUMIN_SQLITE_CACHE_MIB", "64").strip()
    if not raw.isdigit() or int(raw) < 2:
        raise ConfigurationError("JUMIN_SQLITE_CACHE_MIB must be a whole number of MiB, 2 or more")
    return int(raw)


def database_settings(url: str, *, base_dir: Path) -> dict[str, object]:
    """A Django DATABASES entry from a URL: sqlite:///path/to.db or postgresql://user:pw@host:port/name."""
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        raw = unquote(parsed.path)
        # sqlite:///relative.db has path "/relative.db"; sqlite:////abs.db has "//abs.db".
        path = Path(raw[1:])
        if not path.is_absolute():
            path = base_dir / path
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(path),
            "OPTIONS": {
                # WAL lets readers proceed while one writer commits (architecture.md §5);
                # IMMEDIATE avoids "database is locked" upgrades inside write transactions. The page
                # cache (SQLite's default is 2 MiB) holds a search's pages for the next one: a result
                # page of 200 people reads about a thousand (docs/operations.md, P2).
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
                f"PRAGMA cache_size=-{sqlite_cache_mib() * 1024};",
                "transaction_mode": "IMMEDIATE",
            },
            "TEST": {"NAME": os.environ.get("JUMIN_TEST_SQLITE_NAME", "")},
        }
    if parsed.scheme in {"postgres", "postgresql"}:
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parsed.path.lstrip("/")),
            "USER": unquote(parsed.username or ""),
            "PASSWORD": unquote(parsed.password or ""),
            "HOST": parsed.hostname or "",
            "PORT": str(parsed.port or ""),
            "CONN_MAX_AGE": 60,
            # psycopg may prepare only statements run on a server-binding cursor (Jumin's grants query,
            # prepared at once); Django's cursors bind on the client. 5 is psycopg's own default.
            # JUMIN_DATABASE_PREPARE=0 turns it off, for a connection pooler in transaction mode.
            "OPTIONS": {"prepare_threshold": 5 if env_flag("JUMIN_DATABASE_PREPARE", True) else None},
        }
    raise ConfigurationError("JUMIN_DATABASE_URL must start with sqlite:/// or postgresql://")

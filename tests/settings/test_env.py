from pathlib import Path

import pytest

from jumin.settings.env import (
    DEMO_SECRET_KEY,
    ConfigurationError,
    database_settings,
    node_config,
    secret_key,
    sqlite_cache_mib,
)


def test_outside_demo_mode_a_missing_secret_key_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JUMIN_SECRET_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="JUMIN_SECRET_KEY"):
        secret_key(demo=False)


def test_outside_demo_mode_the_demo_secret_key_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUMIN_SECRET_KEY", DEMO_SECRET_KEY)
    with pytest.raises(ConfigurationError):
        secret_key(demo=False)


def test_outside_demo_mode_a_short_secret_key_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUMIN_SECRET_KEY", "short")
    with pytest.raises(ConfigurationError):
        secret_key(demo=False)


def test_a_long_random_secret_key_is_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUMIN_SECRET_KEY", "k" * 64)
    assert secret_key(demo=False) == "k" * 64


def test_demo_mode_falls_back_to_the_demo_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JUMIN_SECRET_KEY", raising=False)
    assert secret_key(demo=True) == DEMO_SECRET_KEY


def test_node_kind_and_code_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUMIN_NODE_KIND", "prefecture")
    monkeypatch.setenv("JUMIN_NODE_CODE", "420000")
    config = node_config()
    assert (config.kind, config.code) == ("prefecture", "420000")


def test_an_unknown_node_kind_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUMIN_NODE_KIND", "village")
    with pytest.raises(ConfigurationError, match="JUMIN_NODE_KIND"):
        node_config()


def test_sqlite_urls_resolve_relative_to_the_base_dir_and_enable_wal(tmp_path: Path) -> None:
    db = database_settings("sqlite:///var/node.sqlite3", base_dir=tmp_path)
    assert db["NAME"] == str(tmp_path / "var" / "node.sqlite3")
    assert "journal_mode=WAL" in str(db["OPTIONS"])
    absolute = database_settings("sqlite:////srv/jumin/node.sqlite3", base_dir=tmp_path)
    assert absolute["NAME"] == "/srv/jumin/node.sqlite3"


def test_sqlite_page_cache_is_64_mib_unless_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def options() -> str:
        return str(database_settings("sqlite:///n.db", base_dir=tmp_path)["OPTIONS"])

    monkeypatch.delenv("JUMIN_SQLITE_CACHE_MIB", raising=False)
    assert "PRAGMA cache_size=-65536;" in options()
    monkeypatch.setenv("JUMIN_SQLITE_CACHE_MIB", "256")
    assert "PRAGMA cache_size=-262144;" in options()
    for wrong in ("0", "1", "-5", "lots"):
        monkeypatch.setenv("JUMIN_SQLITE_CACHE_MIB", wrong)
        with pytest.raises(ConfigurationError, match="JUMIN_SQLITE_CACHE_MIB"):
            database_settings("sqlite:///n.db", base_dir=tmp_path)


@pytest.mark.django_db
def test_the_page_cache_setting_reaches_the_connection() -> None:
    """The test database itself is opened with the setting (init_command runs on every connection)."""
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("SQLite setting")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        assert cursor.fetchone()[0] == -sqlite_cache_mib() * 1024


def test_postgresql_urls_are_split_into_django_fields(tmp_path: Path) -> None:
    db = database_settings("postgresql://jumin:s%40cret@127.0.0.1:5433/node", base_dir=tmp_path)
    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert (db["NAME"], db["USER"], db["PASSWORD"], db["HOST"], db["PORT"]) == (
        "node",
        "jumin",
        "s@cret",
        "127.0.0.1",
        "5433",
    )


def test_other_database_urls_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError):
        database_settings("mysql://x@y/z", base_dir=tmp_path)


def test_postgresql_may_prepare_statements_unless_switched_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = "postgresql://jumin@127.0.0.1/node"
    assert database_settings(url, base_dir=tmp_path)["OPTIONS"] == {"prepare_threshold": 5}
    monkeypatch.setenv("JUMIN_DATABASE_PREPARE", "0")
    assert database_settings(url, base_dir=tmp_path)["OPTIONS"] == {"prepare_threshold": None}

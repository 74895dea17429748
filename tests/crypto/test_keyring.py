"""The keyring file: generation in demo mode, refusal outside it, format, rotation of data keys."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from pytest_django.fixtures import Settings

from jumin.crypto import keys
from jumin.crypto.__main__ import main as crypto_main
from jumin.crypto.keyring import (
    FORMAT,
    KEY_BYTES,
    Keyring,
    KeyringError,
    UnknownKeyError,
    generate_keyring,
    load_keyring,
    resolve_keyring_path,
    write_keyring,
)
from jumin.crypto.keys import (
    check_keyring_at_startup,
    get_keyring,
    one_keyring,
    reset_keyring_cache,
    update_keyring,
)


def test_demo_mode_generates_a_private_keyring_on_first_use(keyring_file: Path) -> None:
    assert not keyring_file.exists()
    keyring = get_keyring()
    assert stat.S_IMODE(keyring_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(keyring_file.parent.stat().st_mode) == 0o700
    document = json.loads(keyring_file.read_text())
    assert document["format"] == FORMAT
    assert document["current"] == keyring.current_id
    assert len(keyring.current.secret) == KEY_BYTES
    assert len(keyring.index_key.secret) == KEY_BYTES
    assert keyring.index_key.secret != keyring.current.secret
    assert get_keyring() == keyring  # the same file on the next use


def test_outside_demo_mode_a_missing_keyring_is_a_startup_error(
    keyring_file: Path, settings: Settings
) -> None:
    settings.JUMIN_DEMO = False
    with pytest.raises(ImproperlyConfigured, match="JUMIN_CRYPTO_KEYRING"):
        check_keyring_at_startup()
    assert not keyring_file.exists()


def test_a_node_outside_demo_mode_refuses_to_start_without_its_keyring(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUMIN_")}
    env |= {
        "DJANGO_SETTINGS_MODULE": "jumin.settings.base",
        "JUMIN_SECRET_KEY": "x" * 64,
        "JUMIN_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "JUMIN_CRYPTO_KEYRING": str(tmp_path / "missing.json"),
    }
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "python -m jumin.crypto init" in result.stderr


def test_a_keyring_readable_by_others_is_refused(keyring_file: Path) -> None:
    get_keyring()
    keyring_file.chmod(0o644)
    reset_keyring_cache()
    with pytest.raises(KeyringError, match="chmod 600"):
        get_keyring()


def test_a_directory_setting_means_the_default_file_inside_it(tmp_path: Path) -> None:
    assert resolve_keyring_path(tmp_path) == tmp_path / "individual-number-keyring.json"
    assert resolve_keyring_path(tmp_path / "x.json") == tmp_path / "x.json"


def test_init_command_creates_a_keyring_once(tmp_path: Path) -> None:
    target = tmp_path / "node" / "keyring.json"
    assert crypto_main(["init", str(target)]) == 0
    first = target.read_text()
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert crypto_main(["init", str(target)]) == 1
    assert target.read_text() == first


def test_a_new_key_becomes_current_and_old_keys_stay_for_decryption() -> None:
    keyring = generate_keyring()
    rotated = keyring.with_new_key("dk-second")
    assert rotated.current_id == "dk-second"
    assert rotated.key_ids == (keyring.current_id, "dk-second")
    assert rotated.index_key == keyring.index_key  # the index key is never rotated with the data keys
    with pytest.raises(KeyringError):
        rotated.with_new_key("dk-second")
    with pytest.raises(KeyringError):
        rotated.without_key("dk-second")  # the current key cannot be retired
    assert rotated.without_key(keyring.current_id).key_ids == ("dk-second",)
    with pytest.raises(UnknownKeyError):
        rotated.data_key("dk-none")


def test_key_ids_are_restricted_so_that_they_fit_the_stored_format() -> None:
    with pytest.raises(KeyringError):
        generate_keyring().with_new_key("bad:id")


def test_the_keyring_survives_a_round_trip_through_its_file(tmp_path: Path) -> None:
    keyring = generate_keyring().with_new_key()
    write_keyring(tmp_path / "k.json", keyring)
    assert load_keyring(tmp_path / "k.json") == keyring


def test_update_keyring_saves_and_is_seen_by_the_next_read() -> None:
    before, after = update_keyring(lambda keyring: keyring.with_new_key("dk-next"))
    assert get_keyring() == after
    assert get_keyring().current_id == "dk-next"
    assert before.current_id != "dk-next"


def test_a_malformed_keyring_is_refused_without_quoting_it(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    document = {"format": FORMAT, "current": "a", "data_keys": [{"id": "a", "key": "c2VjcmV0!"}]}
    path.write_text(json.dumps(document))
    path.chmod(0o600)
    with pytest.raises(KeyringError) as caught:
        load_keyring(path)
    assert "c2VjcmV0" not in str(caught.value)


def test_key_material_never_appears_in_repr() -> None:
    keyring = generate_keyring()
    text = repr(keyring)
    document = json.loads(keyring.to_json())
    assert document["data_keys"][0]["key"] not in text
    assert document["index_key"]["key"] not in text
    assert repr(keyring.current.secret) not in text
    assert isinstance(Keyring.from_json(keyring.to_json()), Keyring)


def test_one_keyring_checks_the_file_once_and_the_next_use_sees_a_rotation(
    keyring_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = get_keyring()
    checks: list[Path] = []
    real_signature = keys._signature

    def counted(path: Path) -> tuple[int, int, int] | None:
        checks.append(path)
        return real_signature(path)

    monkeypatch.setattr(keys, "_signature", counted)
    with one_keyring():
        pass
    assert checks == []  # a unit of work that encrypts nothing does not look at the file
    with one_keyring():
        pinned = get_keyring()
        write_keyring(keyring_file, first.with_new_key("dk-elsewhere"))  # another process rotates
        seen = [get_keyring() for _ in range(5)]
        with one_keyring():
            assert get_keyring() is pinned
    assert pinned == first
    assert seen == [first] * 5
    assert len(checks) == 1  # at the first use only, not per value
    with one_keyring():
        assert get_keyring().current_id == "dk-elsewhere"


def test_the_keyring_cannot_be_updated_inside_one_keyring(keyring_file: Path) -> None:
    before = get_keyring()
    with one_keyring(), pytest.raises(KeyringError, match="一括処理の途中"):
        update_keyring(lambda keyring: keyring.with_new_key("dk-never"))
    assert get_keyring() == before

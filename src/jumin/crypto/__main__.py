"""``python -m jumin.crypto init [PATH]``: create a node's 個人番号 keyring (mode 0600) before first start.

Runs without Django, so the keyring can be created on the key host before the node is configured.
PATH defaults to $JUMIN_CRYPTO_KEYRING, else var/keys/individual-number-keyring.json under JUMIN_HOME.
An existing keyring is never overwritten.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from jumin.crypto.keyring import generate_keyring, locked, resolve_keyring_path, write_keyring
from jumin.settings.env import BASE_DIR_DEFAULT


def _default_path() -> Path:
    home = Path(os.environ.get("JUMIN_HOME", BASE_DIR_DEFAULT)).resolve()
    return home / os.environ.get("JUMIN_CRYPTO_KEYRING", "var/keys/individual-number-keyring.json")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m jumin.crypto", description="個人番号の鍵束を管理します。"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    init = sub.add_parser("init", help="新しい鍵束（データ鍵1つと索引鍵）を作成します。")
    init.add_argument("path", nargs="?", type=Path, help="鍵束ファイルまたはディレクトリ")
    args = parser.parse_args(argv)

    path = resolve_keyring_path(args.path or _default_path())
    with locked(path):
        if path.exists():
            sys.stderr.write(f"鍵束 {path} は既にあります。上書きしません。\n")
            return 1
        keyring = generate_keyring()
        write_keyring(path, keyring)
    sys.stdout.write(
        f"鍵束 {path} を作成しました"
        f"（現在のデータ鍵 {keyring.current_id}、索引鍵 {keyring.index_key.key_id}）。\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

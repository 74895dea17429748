"""``manage.py rotate_individual_number_keys``: rotate the 個人番号 data key and re-encrypt every value."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jumin.crypto.individual_number import IndividualNumberCryptoError
from jumin.crypto.keyring import KeyringError
from jumin.crypto.keys import get_keyring, keyring_path
from jumin.crypto.services import DEFAULT_BATCH_SIZE, key_usage, retire_key, rotate_keys


class Command(BaseCommand):
    help = (
        "個人番号のデータ鍵を更新し、保存済みの個人番号をすべて新しい鍵で再暗号化します。"
        "中断しても --resume で再開でき、繰り返し実行しても安全です。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--key-id", metavar="KEY_ID", help="新しく作るデータ鍵の鍵ID（省略時は自動）。")
        mode.add_argument("--use-key", metavar="KEY_ID", help="鍵束にある既存のデータ鍵を現在の鍵にします。")
        mode.add_argument(
            "--resume", action="store_true", help="鍵は変えず、現在の鍵でない値だけを再暗号化します（再開）。"
        )
        mode.add_argument(
            "--retire",
            metavar="KEY_ID",
            help="データ鍵を鍵束から削除します。使用中の値が残っていれば拒否します。",
        )
        mode.add_argument("--status", action="store_true", help="鍵IDごとの件数を表示するだけです。")
        parser.add_argument(
            "--batch-size", type=int, default=DEFAULT_BATCH_SIZE, help="1トランザクションの件数。"
        )
        parser.add_argument("--reason", default="", help="監査ログに記録する理由。")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["batch_size"] < 1:
            raise CommandError("--batch-size は1以上で指定してください。")
        try:
            if options["status"]:
                self._status()
            elif options["retire"]:
                retire_key(key_id=options["retire"], reason=options["reason"])
                self.stdout.write(f"データ鍵 {options['retire']} を廃止しました。")
            else:
                self._rotate(options)
        except (KeyringError, IndividualNumberCryptoError) as exc:
            raise CommandError(str(exc)) from None

    def _status(self) -> None:
        keyring = get_keyring()
        self.stdout.write(f"鍵束: {keyring_path()}")
        for key_id, count in key_usage().items():
            marker = "（現在）" if key_id == keyring.current_id else ""
            self.stdout.write(f"{key_id}{marker}: {count}件")

    def _rotate(self, options: dict[str, Any]) -> None:
        result = rotate_keys(
            use_key=options["use_key"],
            new_key_id=options["key_id"],
            resume=options["resume"],
            reason=options["reason"],
            batch_size=options["batch_size"],
            progress=lambda label, count: self.stdout.write(f"{label}: {count}件を再暗号化しました。"),
        )
        self.stdout.write(
            f"現在のデータ鍵: {result.current_key_id}（更新前: {result.previous_key_id}）。"
            f"再暗号化: 合計 {result.total}件。"
        )

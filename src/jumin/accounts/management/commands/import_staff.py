"""``manage.py import_staff FILE --operator USERNAME [--dry-run]``: accounts by batch (standard 10.3-e).

The file is UTF-8 CSV with the header ``bulk_staff.STAFF_COLUMNS`` (docs/security.md). Accounts are
created without a password (single sign-on, or a reset by the administrator); a wrong row refuses the
whole file, naming its row and column, and nothing is written.
"""

from __future__ import annotations

from jumin.accounts import bulk_staff
from jumin.accounts.batch_commands import BatchImportCommand


class Command(BatchImportCommand):
    help = "職員とアカウント（と部署の所属）をCSVから一括で登録します（--dry-run で確認のみ）。"
    purpose = "職員一括登録"
    operator_help = "端末機担当者の利用者名"
    checked = "確認のみ: {count}件のアカウントを登録できます。"
    done = (
        "{count}件のアカウントを登録しました。パスワードは設定されていません"
        "（シングルサインオン、または職員管理画面でパスワードを再発行してください）。"
    )
    preview = staticmethod(bulk_staff.preview_staff_import)
    commit = staticmethod(bulk_staff.import_staff)

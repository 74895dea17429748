"""``manage.py export_staff --operator USERNAME [--output FILE]``: active accounts and their units as CSV.

The format is the one ``import_staff`` reads (one row per current unit); the export is audited.
"""

from __future__ import annotations

from jumin.accounts import bulk_staff
from jumin.accounts.batch_commands import BatchExportCommand


class Command(BatchExportCommand):
    help = "有効なアカウントと部署の所属をCSVで書き出します（import_staff と同じ形式）。"
    purpose = "職員一括登録"
    operator_help = "端末機担当者の利用者名"
    export = staticmethod(bulk_staff.export_staff)

"""``manage.py export_grants --operator USERNAME [--output FILE]``: grants in force or scheduled as CSV.

The format is the one ``import_grants`` reads (standard 10.3-e); the export is audited.
"""

from __future__ import annotations

from jumin.accounts import bulk_rights
from jumin.accounts.batch_commands import BatchExportCommand


class Command(BatchExportCommand):
    help = "有効または予定の権限付与をCSVで書き出します（import_grants と同じ形式）。"
    purpose = "権限一括登録"
    operator_help = "権限管理簿を閲覧できる利用者名"
    export = staticmethod(bulk_rights.export_grants)

"""``manage.py import_grants FILE --operator USERNAME [--dry-run]``: grants by batch (standard 10.3-e).

The file is UTF-8 CSV with the header ``bulk_rights.GRANT_COLUMNS`` (docs/security.md). Every row
becomes a grant application for the IT head to decide; a wrong row refuses the whole file, naming its
row and column, and nothing is written. ``--dry-run`` only checks and lists.
"""

from __future__ import annotations

from jumin.accounts import bulk_rights
from jumin.accounts.batch_commands import BatchImportCommand


class Command(BatchImportCommand):
    help = "権限付与をCSVから一括で申請します（--dry-run で確認のみ）。"
    purpose = "権限一括登録"
    operator_help = "権限付与を申請する所属長の利用者名"
    checked = "確認のみ: {count}件の付与申請を登録できます。"
    done = "{count}件の付与申請を登録しました。情報主管課長の承認後に有効になります。"
    preview = staticmethod(bulk_rights.preview_grant_import)
    commit = staticmethod(bulk_rights.import_grants)

"""除票の誤記訂正 (standard 1.1.5-c): an error in a 除票 is corrected by a type-B note, not a new row.

A 除票 is a closed record: its rows are never rewritten and no row is added to correct it. The note
(留意事項, type B of the 統合記載欄, standard 1.1.14-a) says which item was written in error, what it
says, what it should say, why, on which day and by whom; the 照会 screen shows it and the 除票の写し
prints it (workflows.removed_record_note).
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models


class RemovedRecordNote(models.Model):
    """One 誤記 in a 除票 and its correct entry; append-only (a wrong note is corrected by another)."""

    resident = models.ForeignKey(
        "registry.Resident", on_delete=models.PROTECT, related_name="removed_record_notes"
    )
    # The 除票 row the error is in (the person's current row when the note was written).
    snapshot = models.ForeignKey("registry.ResidentSnapshot", on_delete=models.PROTECT, related_name="+")
    item = models.CharField("訂正する項目", max_length=40)
    item_label = models.CharField("項目名", max_length=40)
    wrong_text = models.CharField("誤記", max_length=300)
    correct_text = models.CharField("正しい記載", max_length=300)
    reason = models.CharField("理由", max_length=200)
    noted_on = models.DateField("記載日")
    made_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    made_at = models.DateTimeField("記載日時")

    class Meta:
        verbose_name = "除票の誤記訂正"
        verbose_name_plural = "除票の誤記訂正"
        indexes: ClassVar = [models.Index(fields=["resident", "id"], name="registry_removed_note_idx")]

    def __str__(self) -> str:
        return f"除票の誤記訂正 {self.pk}"

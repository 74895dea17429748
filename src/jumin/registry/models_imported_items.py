"""Imported items waiting for review (standard 10.8-a): 証明書交付申請 and 券面事項 rows read from a CSV file.

Each row of an accepted file becomes one ``ImportedItem`` (確認待ち) for another clerk to confirm (確認済)
or refuse (不受理, with the reason), as a 届出 file's rows become 仮登録 drafts. A decision is made once and
never rewritten. A 券面事項 row's 個人番号 is never stored: only whether it matched the registered one.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models


class ImportedItem(models.Model):
    """One imported row (personal data: never in URLs, only its id)."""

    class Kind(models.TextChoices):
        CERTIFICATE_APPLICATION = "certificate_application", "証明書交付申請"
        CARD_FACE = "card_face", "券面事項"

    class State(models.TextChoices):
        PENDING = "pending", "確認待ち"
        ACCEPTED = "accepted", "確認済"
        REFUSED = "refused", "不受理"

    kind = models.CharField("種類", max_length=30, choices=Kind.choices)
    state = models.CharField("状態", max_length=10, choices=State.choices, default=State.PENDING)
    resident = models.ForeignKey("registry.Resident", on_delete=models.PROTECT, related_name="+")
    row_number = models.PositiveIntegerField("行番号")
    file_sha256 = models.CharField("ファイルのSHA-256", max_length=64)
    # The row's items by the layout's names (docs/import-layout.md); a 券面事項 row also lists the items
    # that differ from the registry (``differences``) and the 個人番号 comparison, never the number.
    data = models.JSONField("取り込んだ項目")
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    imported_at = models.DateTimeField("取込日時", auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField("確認日時", null=True, blank=True)
    reason = models.CharField("不受理の理由", max_length=200, blank=True)

    class Meta:
        verbose_name = "取込データ"
        verbose_name_plural = "取込データ"
        indexes = (models.Index(fields=["kind", "state"], name="registry_imported_item_idx"),)

    def __str__(self) -> str:
        return f"取込データ {self.pk}"

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ValueError("取り込んだデータは削除できません。")

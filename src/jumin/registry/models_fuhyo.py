"""The 戸籍附票記載事項通知 the registry produced (住基法19条; std 7.1.1.1-e, 7.2.4-a; fuhyo_notices).

One row per person and 本登録 that gave a Japanese person with a 本籍 a new 住所, 住所を定めた年月日 or a
国外転出. The row is the notice: the local 戸籍附票 system reads the rows addressed to this municipality
(``destination`` local); the rows for another 本籍地 left through the 市町村CS (``sent_at`` set) or wait
for a clerk (``sent_at`` empty: 本籍地 not resolved, or not a peer). Rows are never deleted; only a
waiting row's destination and send time are filled in, once.
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models


class FuhyoNoticeOutbox(models.Model):
    """One person's 戸籍附票記載事項通知 (the items are ``jukinet.common.fuhyo_notice``; no 個人番号)."""

    class Destination(models.TextChoices):
        LOCAL = "local", "本市の戸籍附票システム"
        OTHER = "other", "他市区町村（市町村CS経由）"

    change = models.ForeignKey("registry.Change", on_delete=models.PROTECT, related_name="fuhyo_notices")
    atena_number = models.CharField("宛名番号", max_length=16)
    history_no = models.PositiveIntegerField("履歴番号")
    destination = models.CharField("送付先", max_length=8, choices=Destination.choices)
    # The 本籍地's 市町村コード; "" while the 本籍 text names no municipality of the masters.
    destination_code = models.CharField("本籍地 市町村コード", max_length=6, blank=True)
    items = models.JSONField("通知事項")
    created_at = models.DateTimeField("作成日時")
    # A local notice is delivered when written; another municipality's when queued at the CS.
    sent_at = models.DateTimeField("送信日時", null=True, blank=True)

    class Meta:
        verbose_name = "戸籍附票記載事項通知"
        verbose_name_plural = "戸籍附票記載事項通知"
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["atena_number", "history_no"], name="registry_fuhyo_notice_row")
        ]
        indexes: ClassVar = [
            models.Index(fields=["destination", "sent_at", "id"], name="registry_fuhyo_list_idx")
        ]

    def __str__(self) -> str:
        return f"戸籍附票記載事項通知 {self.pk}"

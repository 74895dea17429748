"""符号取得要求 the CS sent to the national node and their receipts (std 7.1.2.2-a)."""

from __future__ import annotations

from typing import ClassVar

from django.db import models


class TokenRequestState(models.TextChoices):
    """Where one request stands."""

    SENT = "sent", "送信済（未回答）"
    ACCEPTED = "accepted", "受付済"
    REFUSED = "refused", "拒否"


class TokenRequest(models.Model):
    """One 符号取得要求 for one 住民票コード (no 個人番号, no 統合宛名番号). Rows are never deleted: they
    are the send history the check for unanswered requests reads."""

    request_id = models.CharField("要求番号", max_length=32, unique=True)
    resident_code = models.CharField("住民票コード", max_length=11, db_index=True)
    municipality_code = models.CharField("市町村コード", max_length=6)
    state = models.CharField("状態", max_length=10, choices=TokenRequestState.choices)
    sent_at = models.DateTimeField("送信日時")
    process_number = models.CharField("処理通番", max_length=16, blank=True)
    answered_at = models.DateTimeField("回答日時", null=True, blank=True)
    code = models.CharField("拒否コード", max_length=64, blank=True)
    reason = models.CharField("拒否理由", max_length=400, blank=True)

    class Meta:
        verbose_name = "符号取得要求"
        verbose_name_plural = "符号取得要求"
        indexes: ClassVar = [models.Index(fields=["state", "sent_at"], name="jukinet_cs_token_state_idx")]

    def __str__(self) -> str:
        return f"符号取得要求 {self.pk}"

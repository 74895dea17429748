"""The audit log tables. Rows are only ever inserted (see services.record_event)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import ClassVar

from django.db import models

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class AuditChainHead(models.Model):
    """The single row that serialises appends: its lock orders concurrent writers on PostgreSQL."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"head {self.last_seq}"


class AuditEntry(models.Model):
    """One audited event (issue 3 item 4). Never holds a 個人番号 or other personal values."""

    seq = models.BigIntegerField("連番", unique=True)
    # Microseconds since the Unix epoch (UTC): one exact integer that both engines hash alike.
    created_us = models.BigIntegerField("日時（μ秒）", db_index=True)
    actor_id = models.BigIntegerField("操作者ID", null=True, blank=True)
    actor_name = models.CharField("操作者氏名", max_length=100, blank=True)
    actor_role = models.CharField("操作者役割", max_length=100, blank=True)
    terminal_id = models.CharField("端末ID", max_length=64, blank=True)
    node = models.CharField("ノード", max_length=40)
    action = models.CharField("操作", max_length=80, db_index=True)
    subject_type = models.CharField("対象種別", max_length=40, blank=True)
    subject_id = models.CharField("対象ID", max_length=64, blank=True)
    purpose = models.CharField("利用目的", max_length=100, blank=True)
    reason = models.CharField("理由", max_length=400, blank=True)
    individual_number_used = models.BooleanField("個人番号の表示・利用", default=False)
    request_id = models.CharField("リクエストID", max_length=64, blank=True)
    outcome = models.CharField("結果", max_length=10)
    outcome_reason = models.CharField("結果理由", max_length=400, blank=True)
    before_digest = models.CharField("変更前ダイジェスト", max_length=64, blank=True)
    after_digest = models.CharField("変更後ダイジェスト", max_length=64, blank=True)
    prev_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64, unique=True)

    class Meta:
        verbose_name = "監査ログ"
        verbose_name_plural = "監査ログ"
        indexes: ClassVar = [
            models.Index(fields=["subject_type", "subject_id", "seq"], name="audit_subject_idx")
        ]

    def __str__(self) -> str:
        return f"{self.seq} {self.action} {self.outcome}"

    @property
    def created_at(self) -> datetime:
        """The entry's time as an aware UTC datetime."""
        return EPOCH + timedelta(microseconds=self.created_us)

"""The CS's 抑止マーク table (standard 3.1-g): which persons the registry holds an issuance block on.

Insert-only: every set and every lift the registry sends is a new row, never updated or deleted, so
the CS keeps the history of what it was told. The state in force of one restriction of one person is
its latest row (highest id); ``restriction_marks.marked_codes`` reads it. Identifiers only: no reason
text, no 加害者, no name (the registry keeps those; the CS only needs to know that it must not answer).
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models


class MarkAction(models.TextChoices):
    """What the registry told the CS."""

    SET = "set", "設定"
    LIFT = "lift", "解除"


class CsRestrictionMark(models.Model):
    """One set or lift of an issuance restriction of one 住民票コード, as the registry sent it."""

    resident_code = models.CharField("住民票コード", max_length=11)
    action = models.CharField("区分", max_length=4, choices=MarkAction.choices)
    # ``suppression`` (a 抑止 of 証明書発行) or ``support_measure`` (a 支援措置 or 仮支援措置).
    kind = models.CharField("抑止種別", max_length=40)
    restriction_id = models.PositiveIntegerField("抑止番号（既存住基）")
    # The registry's start date: a 抑止 set ahead of time is not in force before it (standard 3.1-b).
    effective_from = models.DateField("開始日", null=True, blank=True)
    recorded_at = models.DateTimeField("記録日時")
    operator_id = models.CharField("操作者ID", max_length=64)
    terminal_id = models.CharField("操作端末ID", max_length=64)

    class Meta:
        verbose_name = "抑止マーク（CS）"
        verbose_name_plural = "抑止マーク（CS）"
        indexes: ClassVar = [
            models.Index(fields=["resident_code", "kind", "restriction_id"], name="jukinet_cs_mark_code_idx"),
            models.Index(fields=["kind", "restriction_id"], name="jukinet_cs_mark_source_idx"),
        ]

    def __str__(self) -> str:
        return f"抑止マーク {self.pk}"

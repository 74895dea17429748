"""What the 入管連携端末 (M10) keeps: only which notice it relayed (numbers, no personal data).

The notices themselves live on the municipality (``registry.MunicipalityNotice``) and, while in
transit, as sealed signed tokens in the messaging outbox and inbox, purged with them
(docs/network.md, "Retention"). The ledger makes a repeated hand-over (the municipality sending again
after a lost answer) relay nothing twice.
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models


class RelayedNotice(models.Model):
    """One (notice, send) the terminal passed on to the agency."""

    municipality_code = models.CharField("市町村コード", max_length=6)
    sequence_no = models.PositiveBigIntegerField("通知連番")
    send_no = models.PositiveSmallIntegerField("送信回数")
    relayed_at = models.DateTimeField("中継日時")
    message_id = models.CharField("中継メッセージID", max_length=36)

    class Meta:
        verbose_name = "中継した市町村通知"
        verbose_name_plural = "中継した市町村通知"
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["municipality_code", "sequence_no", "send_no"], name="immigration_relayed_once"
            )
        ]

    def __str__(self) -> str:
        return f"中継 {self.municipality_code}/{self.sequence_no}/{self.send_no}"

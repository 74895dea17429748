"""A CS shared by several municipalities (共同利用, std 7.1.1.1-b): its members and its routing log."""

from __future__ import annotations

from typing import ClassVar

from django.db import models


class CsMember(models.Model):
    """One member municipality of a shared CS. A CS without rows serves only its own node's code.

    A membership that ended keeps its row (``left_at``): telegrams routed to it stay attributable.
    """

    municipality_code = models.CharField("市町村コード", max_length=6, unique=True)
    name = models.CharField("市町村名", max_length=40)
    joined_at = models.DateTimeField("構成団体登録日時")
    left_at = models.DateTimeField("構成団体終了日時", null=True, blank=True)

    class Meta:
        verbose_name = "共同利用CSの構成市町村"
        verbose_name_plural = "共同利用CSの構成市町村"

    def __str__(self) -> str:
        return f"構成市町村 {self.municipality_code}"


class RoutedTelegram(models.Model):
    """A telegram the shared CS received and the member it was routed to (insert-only).

    No personal data: the message id, its type and sender, and the member; a member's view of the
    received telegrams (``shared_cs.routed_to``) is this log filtered by its own code.
    """

    message_id = models.CharField("受信メッセージID", max_length=36, unique=True)
    message_type = models.CharField("電文種別", max_length=64)
    sender = models.CharField("送信元ノード", max_length=40)
    member_code = models.CharField("振分先 市町村コード", max_length=6)
    routed_by = models.CharField("振分けの根拠", max_length=40)
    routed_at = models.DateTimeField("振分日時")

    class Meta:
        verbose_name = "共同利用CSの電文振分け"
        verbose_name_plural = "共同利用CSの電文振分け"
        indexes: ClassVar = [models.Index(fields=["member_code", "id"], name="jukinet_cs_routed_member_idx")]

    def __str__(self) -> str:
        return f"電文振分け {self.pk}"

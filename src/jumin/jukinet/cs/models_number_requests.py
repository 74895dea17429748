"""個人番号 生成要求 / 変更要求 sent to the national node, and the manual-link mode (std 7.1.1.1-c)."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models

from jumin.crypto.fields import IndividualNumberField
from jumin.crypto.models import HasIndividualNumber


class NumberRequestKind(models.TextChoices):
    """生成要求 (a first number) or 変更要求 (a new number replacing the old)."""

    GENERATION = "generation", "生成要求"
    CHANGE = "change", "変更要求"


class NumberRequestState(models.TextChoices):
    """Where one request stands."""

    ANSWERED = "answered", "回答済"
    FAILED = "failed", "送信エラー"
    MANUAL = "manual", "手動連携待ち"
    MANUAL_ENTERED = "manual_entered", "手入力済"


class NumberRequest(HasIndividualNumber):
    """One person's 個人番号 request of one registry change (by the registry's opaque ids).

    ``change_id`` and ``row_id`` are the registry's change and draft row (the CS never reads them);
    ``resident_code`` is "" when the commit that would have given it was refused (a birth). The
    answered number is kept encrypted for the inquiry (C-80).
    """

    individual_number = IndividualNumberField(purpose="jukinet.cs.number_request", null=True, blank=True)
    change_id = models.BigIntegerField("異動ID", db_index=True)
    row_id = models.BigIntegerField("住民票履歴ID")
    kind = models.CharField("要求の種類", max_length=12, choices=NumberRequestKind.choices)
    reason = models.CharField("要求理由", max_length=200)
    previous_reasons = models.JSONField("変更前の要求理由", default=list, blank=True)
    resident_code = models.CharField("住民票コード", max_length=11, blank=True)
    state = models.CharField("状態", max_length=16, choices=NumberRequestState.choices)
    first_sent_at = models.DateTimeField("初回送信日時")
    last_sent_at = models.DateTimeField("最終送信日時")
    send_count = models.PositiveSmallIntegerField("送信回数", default=1)
    answered_at = models.DateTimeField("回答日時", null=True, blank=True)
    failure_code = models.CharField("エラーコード", max_length=64, blank=True)

    class Meta:
        verbose_name = "個人番号の生成・変更要求"
        verbose_name_plural = "個人番号の生成・変更要求"
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["change_id", "row_id"], name="jukinet_cs_number_request_row_uniq"
            ),
        ]
        indexes: ClassVar = [
            models.Index(fields=["state", "last_sent_at"], name="jukinet_cs_numreq_state_idx")
        ]

    def __str__(self) -> str:
        return f"個人番号要求 {self.pk}"


class ManualLinkPeriod(models.Model):
    """A period of manual linking (手動連携): requests are not sent; the clerk enters the number the CS
    terminal shows. The open period (``is_open``) is the mode in force; closed ones stay as history."""

    started_at = models.DateTimeField("開始日時")
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField("理由", max_length=200)
    is_open = models.BooleanField("手動連携中", default=True)
    ended_at = models.DateTimeField("終了日時", null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )

    class Meta:
        verbose_name = "個人番号の手動連携期間"
        verbose_name_plural = "個人番号の手動連携期間"
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["is_open"], condition=models.Q(is_open=True), name="jukinet_cs_one_manual_link"
            ),
        ]

    def __str__(self) -> str:
        return f"手動連携期間 {self.pk}"

"""Persistence of the 団体内統合宛名システム (docs/atena.md).

* ``IntegratedNumberCounter`` and ``IntegratedNumber``: the 統合宛名番号, issued once, never reused,
  never deleted (PROTECT everywhere), never written back into the registry (system.md rule 8).
* ``IntegratedLink``: which keys lead to a 統合宛名番号: the registry's 宛名番号 and the 個人番号's
  blind index (the number itself is not stored here).
* ``AtenaPerson``: the latest 宛名 values of one 宛名番号 and the 更新順番号 applied so far;
  ``AtenaHistory``: one appended row per applied event, the 宛名連携 feed's source.
* ``SyncState`` and ``SyncIssue``: the delivery's own cursor over the outbox, and what held it up.
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models


class IntegratedNumberCounter(models.Model):
    """The last serial issued (one row); taken under a row lock so a serial is issued once."""

    name = models.CharField(primary_key=True, max_length=20)
    last_serial = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"統合宛名番号カウンタ {self.name}"


class IntegratedNumber(models.Model):
    """One 統合宛名番号 (serial and check digit), assigned when a 個人番号 is first seen (M5 §1)."""

    number = models.CharField("統合宛名番号", max_length=16, unique=True)
    assigned_at = models.DateTimeField("付番日時")
    first_event_id = models.CharField("付番したイベントID", max_length=36)

    class Meta:
        verbose_name = "統合宛名番号"
        verbose_name_plural = "統合宛名番号"

    def __str__(self) -> str:
        return f"統合宛名番号 {self.pk}"


class LinkKind(models.TextChoices):
    ATENA_NUMBER = "atena_number", "宛名番号（住民記録）"
    INDIVIDUAL_NUMBER_INDEX = "individual_number_index", "個人番号（検索用索引）"


class IntegratedLink(models.Model):
    """A key that leads to a 統合宛名番号; a key leads to one number only, and a link is never removed."""

    integrated = models.ForeignKey(IntegratedNumber, on_delete=models.PROTECT, related_name="links")
    kind = models.CharField("種類", max_length=30, choices=LinkKind.choices)
    # A 宛名番号, or the 個人番号's HMAC blind index: never the number itself.
    key = models.CharField("値", max_length=80)
    linked_at = models.DateTimeField("紐付け日時")

    class Meta:
        verbose_name = "統合宛名番号の紐付け"
        verbose_name_plural = "統合宛名番号の紐付け"
        constraints: ClassVar = [models.UniqueConstraint(fields=["kind", "key"], name="atena_link_key")]

    def __str__(self) -> str:
        return f"紐付け {self.pk}"


class AtenaPerson(models.Model):
    """The latest 宛名 values of one person of the registry, and the last 更新順番号 applied."""

    atena_number = models.CharField("宛名番号", max_length=16, unique=True)
    integrated = models.ForeignKey(
        IntegratedNumber, null=True, blank=True, on_delete=models.PROTECT, related_name="persons"
    )
    last_subject_seq = models.PositiveIntegerField("適用済みの更新順番号", default=0)
    registry_history_no = models.PositiveIntegerField("住民記録の履歴番号", null=True, blank=True)
    items = models.JSONField("宛名の項目", default=dict)  # feed.ITEM_KEYS
    # The 抑止・支援措置 in force, as ``<kind>:<id>`` (standard 3.2-a); never a reason.
    restrictions = models.JSONField("抑止・支援措置", default=list)
    updated_at = models.DateTimeField("更新日時")

    class Meta:
        verbose_name = "宛名"
        verbose_name_plural = "宛名"

    def __str__(self) -> str:
        return f"宛名 {self.pk}"


class AtenaHistory(models.Model):
    """One applied event: the person's 宛名 values after it. Appended, never changed; its id is the
    feed's cursor (a delta is the rows after a cursor)."""

    person = models.ForeignKey(AtenaPerson, on_delete=models.PROTECT, related_name="history")
    event_id = models.CharField("イベントID", max_length=36, unique=True)  # idempotent delivery
    event_type = models.CharField("イベント種別", max_length=40)
    subject_seq = models.PositiveIntegerField("更新順番号")
    integrated_number = models.CharField("統合宛名番号", max_length=16, blank=True)
    registry_history_no = models.PositiveIntegerField("住民記録の履歴番号", null=True, blank=True)
    items = models.JSONField("宛名の項目", default=dict)
    restrictions = models.JSONField("抑止・支援措置", default=list)
    applied_at = models.DateTimeField("適用日時")

    class Meta:
        verbose_name = "宛名履歴"
        verbose_name_plural = "宛名履歴"
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["person", "subject_seq"], name="atena_history_subject_seq")
        ]

    def __str__(self) -> str:
        return f"宛名履歴 {self.pk}"


class SyncState(models.Model):
    """The delivery's cursor over the registry's outbox (one row) and the last round's outcome."""

    name = models.CharField(primary_key=True, max_length=20)
    cursor = models.BigIntegerField("読込済みのイベント番号", default=0)
    # Ids below the cursor not seen yet, as [first, last, ISO time first missed]: a transaction still open
    # (its events appear later) or rolled back (they never do; dropped after services.LOOKBACK).
    unseen = models.JSONField("未着のイベント番号", default=list)
    last_applied_event_at = models.DateTimeField("最後に適用したイベントの作成日時", null=True, blank=True)
    last_applied_at = models.DateTimeField("最後に適用した日時", null=True, blank=True)
    last_run_at = models.DateTimeField("最後に連携した日時", null=True, blank=True)
    last_run_applied = models.PositiveIntegerField("最後の連携で適用した件数", default=0)
    last_failure = models.CharField("最後の連携の失敗（種類）", max_length=80, blank=True)

    def __str__(self) -> str:
        return f"連携状態 {self.name}"


class SyncIssue(models.Model):
    """An event the delivery could not apply yet, with a code the screen explains (``services.ISSUES``).

    One open issue per event; ``resolved_at`` is set when a later round applies it."""

    event_id = models.CharField("イベントID", max_length=36)
    atena_number = models.CharField("宛名番号", max_length=16)
    subject_seq = models.PositiveIntegerField("更新順番号")
    code = models.CharField("種類", max_length=40)
    first_seen_at = models.DateTimeField("発生日時")
    last_seen_at = models.DateTimeField("最終確認日時")
    resolved_at = models.DateTimeField("解消日時", null=True, blank=True)

    class Meta:
        verbose_name = "宛名連携の保留"
        verbose_name_plural = "宛名連携の保留"
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["event_id"], condition=models.Q(resolved_at__isnull=True), name="atena_issue_open"
            )
        ]

    def __str__(self) -> str:
        return f"宛名連携の保留 {self.pk}"

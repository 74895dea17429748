"""Persistence of the review machinery: per-resident edit locks and the outbox of committed changes.

* ``ResidentLock`` (排他ロック, standard 10.3-d): while one clerk's draft (仮登録) includes a person,
  other clerks cannot start a draft for that person. A lock row is never deleted: it is released
  (at 本登録, at 破棄, or by a reviewer when stale), so who held which person and when stays known.
* ``RegistryEvent`` (outbox, architecture.md §4): one row per person of every committed change,
  written in the transaction of the commit, for the CS, 宛名 and inter-municipality consumers.
  Identifiers only: consumers read the committed snapshot.
"""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q


class LockRelease(models.TextChoices):
    """How a lock ended."""

    COMMITTED = "committed", "本登録"
    DISCARDED = "discarded", "破棄"
    SUPERVISOR = "supervisor", "確認者による解除"


class ResidentLock(models.Model):
    """An edit lock on one person, held by the clerk whose open draft includes them (standard 10.3-d).

    At most one unreleased lock per person (a partial unique index): two clerks who start drafts
    for the same person at the same moment cannot both get it, on SQLite or PostgreSQL.
    """

    resident = models.ForeignKey("registry.Resident", on_delete=models.PROTECT, related_name="locks")
    held_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # The draft that took the lock; later drafts of the same clerk for the person share it.
    change = models.ForeignKey("registry.Change", on_delete=models.PROTECT, related_name="locks")
    taken_at = models.DateTimeField("ロック日時")
    released_at = models.DateTimeField("解除日時", null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    release = models.CharField("解除の区分", max_length=20, choices=LockRelease.choices, blank=True)

    class Meta:
        verbose_name = "排他ロック"
        verbose_name_plural = "排他ロック"
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["resident"], condition=Q(released_at__isnull=True), name="registry_one_open_lock"
            )
        ]

    def __str__(self) -> str:
        return f"排他ロック {self.pk}"


class RegistryEvent(models.Model):
    """One domain event of the outbox: a person's committed change (issue 4 item 10), or the set or
    lift of a 抑止・支援措置 that holds the person (``restriction_feed``, standard 3.1-g, 3.2-a).

    ``subject_seq`` numbers the events of one 宛名番号 from 1 without gaps (the 更新順番号 a
    receiver uses to keep order per subject, architecture.md §4); ``event_id`` makes delivery
    idempotent. ``published_at`` stays empty until a consumer takes the event.
    """

    event_id = models.UUIDField("イベントID", default=uuid.uuid4, unique=True, editable=False)
    event_type = models.CharField("イベント種別", max_length=40)
    change_reason = models.CharField("異動事由", max_length=20)
    atena_number = models.CharField("宛名番号", max_length=16)
    subject_seq = models.PositiveIntegerField("更新順番号")
    # Empty for a 抑止・支援措置 event (``restriction_feed``): it follows no change of the record.
    change = models.ForeignKey(
        "registry.Change", null=True, blank=True, on_delete=models.PROTECT, related_name="events"
    )
    history_no = models.PositiveIntegerField("履歴番号", null=True, blank=True)
    # Set only on a 抑止・支援措置 event (standard 3.1-g, 3.2-a): which restriction, never why.
    restriction_kind = models.CharField("抑止種別", max_length=40, blank=True)
    restriction_id = models.PositiveIntegerField("抑止番号", null=True, blank=True)
    created_at = models.DateTimeField("作成日時")
    published_at = models.DateTimeField("送信日時", null=True, blank=True)

    class Meta:
        verbose_name = "登録イベント"
        verbose_name_plural = "登録イベント"
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["atena_number", "subject_seq"], name="registry_event_subject_seq")
        ]
        indexes: ClassVar = [models.Index(fields=["published_at", "id"], name="registry_event_pending_idx")]

    def __str__(self) -> str:
        return f"登録イベント {self.pk}"

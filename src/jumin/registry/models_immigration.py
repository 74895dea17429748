"""The exchange with 出入国在留管理庁 (standard 4.5.6, 4.5.7; system.md F10; immigration-link.md).

* ``ReceivedImmigrationNotice``: every 法30条の50 notice received, kept across sessions (4.5.6-b) with
  what became of it: a draft (imported), waiting for a clerk (pending) or left to a manual 職権修正
  (skipped: 特別永住者).
* ``MunicipalityNotice``: one 市町村通知 / 市町村伝達 per committed event of a foreign resident
  (4.5.7-a), in commit order; written to a file for the terminal or media, or sent online through the
  入管連携端末 (M10) relay, in batches, re-sent on request, and the agency's result recorded (4.5.7-b).
  Rows are never deleted.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models


class Channel(models.TextChoices):
    """How a notice left for, or came from, the agency (docs/workflows/immigration-link.md)."""

    FILE = "file", "ファイル・媒体"
    ONLINE = "online", "オンライン（入管連携端末）"


class ReceivedImmigrationNotice(models.Model):
    """One 出入国在留管理庁長官通知 (法30条の50) as received, and its processing state."""

    class State(models.TextChoices):
        PENDING = "pending", "未取込"
        IMPORTED = "imported", "取込済"
        SKIPPED = "skipped", "対象外（手作業）"

    notice_id = models.CharField("通知番号", max_length=40, unique=True)
    notice_date = models.DateField("通知日")
    event_date = models.DateField("異動日")
    # The row's columns as received (docs/workflows/immigration-notices.md): personal data, never in URLs.
    columns = models.JSONField("通知の内容")
    state = models.CharField("処理状況", max_length=10, choices=State.choices)
    reason_code = models.CharField("未取込の理由コード", max_length=60, blank=True)
    reason = models.CharField("未取込の理由", max_length=200, blank=True)
    atena_number = models.CharField("宛名番号", max_length=16, blank=True)
    # The draft it became; a discarded draft puts the notice back on the pending list.
    change = models.ForeignKey(
        "registry.Change", null=True, blank=True, on_delete=models.PROTECT, related_name="immigration_notices"
    )
    # The 確認票 (label, before, after) when the draft was made, for the reviewer.
    sheet = models.JSONField("確認票", default=list)
    received_at = models.DateTimeField("受信日時")
    # None when it came online through the 入管連携端末 (M10): the node received it, no clerk.
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    channel = models.CharField("受信経路", max_length=10, choices=Channel.choices, default=Channel.FILE)

    class Meta:
        verbose_name = "出入国在留管理庁長官通知"
        verbose_name_plural = "出入国在留管理庁長官通知"
        indexes: ClassVar = [
            models.Index(fields=["state", "notice_date", "id"], name="registry_imm_recv_state_idx")
        ]

    def __str__(self) -> str:
        return f"法30条の50通知 {self.notice_id}"


class MunicipalityNotice(models.Model):
    """One person's 市町村通知 / 市町村伝達 of one committed change (no 個人番号, no 住民票コード)."""

    class Result(models.TextChoices):
        NONE = "", "結果未着"
        ACCEPTED = "accepted", "正常"
        ERROR = "error", "エラー"

    # The outbox event it comes from: one notice per event, so never twice (exactly once).
    event = models.OneToOneField("registry.RegistryEvent", on_delete=models.PROTECT, related_name="+")
    change = models.ForeignKey(
        "registry.Change", on_delete=models.PROTECT, related_name="municipality_notices"
    )
    atena_number = models.CharField("宛名番号", max_length=16)
    history_no = models.PositiveIntegerField("履歴番号")
    kind = models.CharField("通知種別", max_length=10)
    link_class = models.CharField("区分", max_length=10)
    items = models.JSONField("通知事項")
    # Not sent before this day: a 転出予定者 on the planned date (4.5.7-b), the others at once.
    due_on = models.DateField("送信予定日")
    created_at = models.DateTimeField("作成日時")
    batch_no = models.PositiveIntegerField("送信番号", null=True, blank=True)
    sent_at = models.DateTimeField("送信日時", null=True, blank=True)
    send_count = models.PositiveSmallIntegerField("送信回数", default=0)
    # How the last send left: a file for the terminal or media, or online through the M10 relay.
    channel = models.CharField("送信経路", max_length=10, choices=Channel.choices, blank=True, default="")
    result = models.CharField("処理結果", max_length=10, choices=Result.choices, blank=True, default="")
    result_code = models.CharField("結果コード", max_length=20, blank=True, default="")
    result_message = models.CharField("結果メッセージ", max_length=200, blank=True, default="")
    result_at = models.DateTimeField("結果取込日時", null=True, blank=True)

    class Meta:
        verbose_name = "市町村通知"
        verbose_name_plural = "市町村通知"
        indexes: ClassVar = [
            models.Index(fields=["sent_at", "due_on", "id"], name="registry_muni_due_idx"),
            models.Index(fields=["atena_number", "id"], name="registry_muni_person_idx"),
        ]

    def __str__(self) -> str:
        return f"市町村通知 {self.pk}"

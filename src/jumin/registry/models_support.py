"""The support database beyond the measure itself (standard 1.1.16-a, 3.4-h): 加害者 and 転送情報.

Both are append-only: a correction or a later fact is a new row, the latest row is in force.
The 加害者 is shown only to holders of ``support_measure:view``; no row of either model ever holds a
protected person's address (the 転送情報 names municipalities, never an address).
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models

from jumin.registry.models_restrictions import SupportMeasure


class PerpetratorSex(models.TextChoices):
    """性別 of a 加害者 as the applicant knows it; 不明 is allowed (unlike a resident's)."""

    MALE = "male", "男"
    FEMALE = "female", "女"
    UNKNOWN = "unknown", "不明"


class SupportPerpetrator(models.Model):
    """One version of one 加害者 of a support measure (standard 1.1.16-a).

    ``perpetrator_no`` numbers the 加害者 of a measure (1, 2 …); each correction appends a row with
    the same number, and the row with the highest id per number is in force. ``atena_number`` is set
    only for a 加害者 who is (or was) on this registry, so a request by them can be recognised.
    """

    measure = models.ForeignKey(SupportMeasure, on_delete=models.PROTECT, related_name="perpetrators")
    perpetrator_no = models.PositiveSmallIntegerField("加害者番号")
    surname = models.CharField("氏", max_length=100, blank=True)
    given_name = models.CharField("名", max_length=100, blank=True)
    surname_kana = models.CharField("氏フリガナ", max_length=100, blank=True)
    given_name_kana = models.CharField("名フリガナ", max_length=100, blank=True)
    atena_number = models.CharField("宛名番号", max_length=20, blank=True, db_index=True)
    # As entered (和暦, 西暦 or 不詳, recorded_dates.to_json); None when not known at all.
    birth_date = models.JSONField("生年月日", null=True, blank=True)
    sex = models.CharField(
        "性別", max_length=10, choices=PerpetratorSex.choices, default=PerpetratorSex.UNKNOWN
    )
    address = models.CharField("住所", max_length=200, blank=True)
    note = models.TextField("その他（自由記載）", blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField("記録日時")

    class Meta:
        verbose_name = "加害者"
        verbose_name_plural = "加害者"
        indexes: ClassVar = [
            models.Index(fields=["measure", "perpetrator_no"], name="registry_perp_measure_no_idx"),
        ]

    def __str__(self) -> str:
        return f"加害者 {self.pk}"


class ForwardingDirection(models.TextChoices):
    """Which way the support moved (standard 1.1.16-a 転送情報)."""

    OUTGOING = "outgoing", "転出先へ"
    INCOMING = "incoming", "転出元から"


class SupportForwarding(models.Model):
    """One 転送情報 row: the support moved to (or came from) another municipality.

    Outgoing rows are written by the 転出元 switch (3.4-h, ``support_forwarding``) or by staff, and are
    the outbox of the notice to the 転入先: ``sent_at`` is set when the signed message was queued (empty
    while the 転入先 is unknown or not a peer). Incoming rows are the notices received from a 転出元,
    keyed by the person's 住民票コード; ``measure`` is set once it is linked to a measure here (the
    仮支援措置 opened when the person lives here, ``support_arrivals``). A retraction (a 転出 cancelled at
    the 転出元) is a further row naming the notice it withdraws (``retracts_message_id``).
    """

    direction = models.CharField("区分", max_length=10, choices=ForwardingDirection.choices)
    measure = models.ForeignKey(
        SupportMeasure, null=True, blank=True, on_delete=models.PROTECT, related_name="forwardings"
    )
    municipality_code = models.CharField("相手方市区町村コード", max_length=6, blank=True)
    municipality_name = models.CharField("相手方市区町村名", max_length=100, blank=True)
    moved_on = models.DateField("異動日", null=True, blank=True)
    notified_on = models.DateField("連絡日", null=True, blank=True)
    juminhyo_code = models.CharField("住民票コード", max_length=11, blank=True)
    covered_services = models.JSONField("対象事務", default=list)
    provisional = models.BooleanField("仮支援措置", default=False)
    change = models.ForeignKey(
        "registry.Change", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField("備考", max_length=200, blank=True)
    message_id = models.CharField("送受信メッセージID", max_length=36, blank=True)
    # Set on a retraction (転出の取消し): the message id of the notice it withdraws. The notice's row
    # stays; at the 転入先 a 仮支援措置 opened on it stays until staff end it (support_arrivals).
    retracts_message_id = models.CharField("撤回する連絡のメッセージID", max_length=36, blank=True)
    sent_at = models.DateTimeField("送信日時", null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField("記録日時")

    class Meta:
        verbose_name = "支援措置の転送情報"
        verbose_name_plural = "支援措置の転送情報"
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["direction", "message_id"],
                condition=~models.Q(message_id=""),
                name="registry_support_fwd_message_key",
            ),
        ]
        indexes: ClassVar = [
            models.Index(fields=["juminhyo_code"], name="registry_support_fwd_code_idx"),
        ]

    def __str__(self) -> str:
        return f"支援措置の転送情報 {self.pk}"

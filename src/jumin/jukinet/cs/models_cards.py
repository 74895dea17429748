"""The CS's copy of each person's 個人番号カード status (std 7.1.1.3-a), kept by ``cs.card_sync``.

Insert-only: every card event the registry records and every status change the national card system
notifies is one row, and so is every card event the CS itself makes (its 交付, a 一時停止 …); a person's CS
status is that of their latest row. A row not from the registry waits (``taken_at`` empty) until the
registry has recorded it as its own card event.
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models


class CardSource(models.TextChoices):
    """Where the CS learnt of the event."""

    REGISTRY = "registry", "既存住基"
    NATIONAL = "national", "個人番号カード管理システム"
    CS = "cs", "市町村CS"


class CsCardStatusEvent(models.Model):
    """One card event of one 住民票コード as the CS holds it (the registry's event vocabulary)."""

    resident_code = models.CharField("住民票コード", max_length=11)
    event = models.CharField("カード運用状況", max_length=20)
    event_date = models.DateField("発生日")
    expiry_date = models.DateField("カード有効期限", null=True, blank=True)
    source = models.CharField("通知元", max_length=10, choices=CardSource.choices)
    # Exactly once: ``reg-<CardEvent id>`` (or ``fix-…`` for a repair) from the registry, the message
    # id from the national node, ``cs-…`` for the CS's own; a replay finds its row and changes nothing.
    source_ref = models.CharField("通知元の識別子", max_length=64, unique=True)
    reason = models.CharField("理由", max_length=100, blank=True)
    recorded_at = models.DateTimeField("記録日時")
    taken_at = models.DateTimeField("既存住基反映日時", null=True, blank=True)
    taken_result = models.CharField("既存住基反映結果", max_length=64, blank=True)

    class Meta:
        verbose_name = "カード状態（CS）"
        verbose_name_plural = "カード状態（CS）"
        indexes: ClassVar = [
            models.Index(fields=["resident_code", "id"], name="jukinet_cs_card_code_idx"),
            models.Index(fields=["source", "taken_at"], name="jukinet_cs_card_pending_idx"),
        ]

    def __str__(self) -> str:
        return f"カード状態 {self.pk}"


class SigningStatus(models.TextChoices):
    """The 署名用電子証明書's status in the 機構's 失効情報."""

    GOOD = "good", "有効"
    REVOKED = "revoked", "失効"


class CertificateSerialFetch(models.Model):
    """One fetch of a person's 利用者証明用電子証明書シリアル番号 from the national node (std 7.1.2.4-a),
    with the card's 署名用電子証明書 serial, last valid day and status (1.1.1-c).

    Insert-only: a found serial, none (no live card), or the telegram error (code and reason), so a
    failed fetch stays visible (``card_serials.failed_fetches``) until a later fetch succeeds; the
    rows are the history of both serials.
    """

    class Result(models.TextChoices):
        FOUND = "found", "取得済"
        NONE = "none", "該当カードなし"
        ERROR = "error", "電文エラー"

    resident_code = models.CharField("住民票コード", max_length=11)
    fetched_at = models.DateTimeField("取得日時")
    result = models.CharField("結果", max_length=6, choices=Result.choices)
    serial = models.CharField("利用者証明用電子証明書シリアル番号", max_length=16, blank=True)
    registered_on = models.DateField("登録日", null=True, blank=True)
    card_status = models.CharField("カード状態（機構）", max_length=20, blank=True)
    # The card's 署名用電子証明書 as the 機構 answered (1.1.1-c): empty when the card has none.
    signing_serial = models.CharField("署名用電子証明書シリアル番号", max_length=16, blank=True, default="")
    signing_valid_until = models.DateField("署名用電子証明書の有効期限", null=True, blank=True)
    signing_status = models.CharField(
        "署名用電子証明書の状態", max_length=8, choices=SigningStatus.choices, blank=True, default=""
    )
    error_code = models.CharField("エラーコード", max_length=64, blank=True)
    error_reason = models.CharField("エラー内容", max_length=400, blank=True)

    class Meta:
        verbose_name = "利用者証明用電子証明書シリアル番号の取得"
        verbose_name_plural = "利用者証明用電子証明書シリアル番号の取得"
        indexes: ClassVar = [
            models.Index(fields=["resident_code", "id"], name="jukinet_cs_serial_code_idx"),
            models.Index(fields=["result", "id"], name="jukinet_cs_serial_result_idx"),
        ]

    def __str__(self) -> str:
        return f"シリアル番号取得 {self.pk}"

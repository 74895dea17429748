"""The registry's own record of the 電子証明書 serials on a person's 個人番号カード (std 1.1.1-c).

``CardCertificateSerial``: insert-only, one row each time the registry learns a serial (or learns that
no live card holds one): from the 住基ネット fetch the card status screen makes (``cs_fetch``) or from
the 署名用電子証明書 an e-application was signed with (``e_application``). Kept here, beside the card
history, so the card status reads the registry and not the CS's fetch log.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models


class CertificateKind(models.TextChoices):
    """Which 電子証明書 of the card the serial is of."""

    USER_AUTHENTICATION = "user_authentication", "利用者証明用電子証明書"
    SIGNING = "signing", "署名用電子証明書"


class SerialSource(models.TextChoices):
    """How the registry learnt the serial."""

    CS_FETCH = "cs_fetch", "住基ネットからの取得"
    E_APPLICATION = "e_application", "電子申請の署名"


class CardCertificateSerial(models.Model):
    """One serial as the registry learnt it; ``serial`` empty: the 機構 answered that no live card
    holds one. A person's current serial of a kind is that of the latest row of the kind."""

    resident = models.ForeignKey(
        "registry.Resident", on_delete=models.PROTECT, related_name="certificate_serials"
    )
    certificate_kind = models.CharField("証明書の種類", max_length=20, choices=CertificateKind.choices)
    serial = models.CharField("電子証明書シリアル番号", max_length=16, blank=True)
    valid_from = models.DateField("登録日", null=True, blank=True)
    valid_until = models.DateField("有効期限", null=True, blank=True)
    # As the 機構 answered: the カード状態 for 利用者証明用, 有効/失効 for 署名用.
    status = models.CharField("状態", max_length=20, blank=True)
    source = models.CharField("取得元", max_length=20, choices=SerialSource.choices)
    # The CS fetch's id or the e-application's 受付番号: where to look for the evidence.
    source_ref = models.CharField("取得元の識別子", max_length=64, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    recorded_at = models.DateTimeField("記録日時")

    class Meta:
        verbose_name = "電子証明書シリアル番号"
        verbose_name_plural = "電子証明書シリアル番号"
        indexes: ClassVar = [
            models.Index(fields=["resident", "certificate_kind", "id"], name="registry_cert_serial_idx")
        ]

    def __str__(self) -> str:
        return f"電子証明書シリアル番号 {self.pk}"

"""JPKI at the municipality (std 7.2.5-a): 失効申請 recorded by a clerk, and the 機構's 失効リスト fetched.

``CertificateRevocationRequest``: one 失効申請 of a resident's 署名用 or 利用者証明用 certificate, as the
機構 answered it (the revoked serial and time, or its refusal code). ``JpkiRevocationList``: every CRL
fetched from the 機構 and verified against the CA pinned here, as received (DER); the newest is the one
in force. Both insert-only.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models


class _InsertOnly(models.Model):
    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise ValueError("記録は変更できません。")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ValueError("記録は削除できません。")


class CertificateRevocationRequest(_InsertOnly):
    """One 失効申請 and the 機構's answer (personal data: never in URLs)."""

    resident = models.ForeignKey("registry.Resident", on_delete=models.PROTECT, related_name="+")
    certificate = models.CharField("電子証明書の種類", max_length=8)  # signing | user
    applicant = models.CharField("申請者", max_length=24)  # self | legal_representative | proxy
    reason = models.CharField("失効の理由", max_length=100)
    requested_at = models.DateTimeField("申請日時")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # The 機構's answer: the revoked serial and time, or the refusal code (nothing revoked).
    serial = models.CharField("失効した電子証明書のシリアル番号", max_length=16, blank=True)
    revoked_at = models.DateTimeField("失効日時", null=True, blank=True)
    refusal_code = models.CharField("拒否コード", max_length=100, blank=True)

    class Meta:
        verbose_name = "電子証明書の失効申請"
        verbose_name_plural = "電子証明書の失効申請"
        indexes: ClassVar = [models.Index(fields=["requested_at", "id"], name="registry_jpki_rev_req_idx")]

    def __str__(self) -> str:
        return f"失効申請 {self.pk}"


class JpkiRevocationList(_InsertOnly):
    """One 失効リスト (X.509 CRL of 署名用電子証明書) fetched from the 機構, its signature verified."""

    fetched_at = models.DateTimeField("取得日時")
    this_update = models.DateTimeField("発行日時")
    next_update = models.DateTimeField("次回更新日時")
    revoked_count = models.PositiveIntegerField("失効件数")
    der = models.TextField("CRL（DER, base64url）")

    class Meta:
        verbose_name = "署名用電子証明書の失効リスト"
        verbose_name_plural = "署名用電子証明書の失効リスト"
        indexes: ClassVar = [models.Index(fields=["fetched_at", "id"], name="registry_jpki_crl_fetched_idx")]

    def __str__(self) -> str:
        return f"失効リスト {self.pk}"

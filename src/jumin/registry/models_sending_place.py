"""居所 as the mailing address of the 個人番号 notices (送付先情報 items 2–8; std 7.1.1.4-a)."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models

from jumin.registry.models import Resident


class SendingPlace(models.Model):
    """One recorded version of where a person's 個人番号 notices are mailed when not to the 住所: a 居所
    (where the person actually stays, e.g. a hospital or a facility). Appended, never changed: the
    person's latest row is in force, and a row with an empty ``address`` ends the 居所 (mail to the 住所)."""

    resident = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="sending_places")
    postal_code = models.CharField("居所の郵便番号", max_length=7, blank=True)
    address = models.CharField("居所", max_length=200, blank=True)
    addressee = models.CharField("宛名（様方など）", max_length=100, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField("記録日時")

    class Meta:
        verbose_name = "送付先の居所"
        verbose_name_plural = "送付先の居所"
        indexes: ClassVar = [
            models.Index(fields=["resident", "recorded_at"], name="registry_sending_place_idx")
        ]

    def __str__(self) -> str:
        return f"送付先の居所 {self.pk}"

"""The CS's registered 外字 (住基ネット統一文字, standard 7.1.1.1-e; docs/jukinet.md "住基ネット統一文字").

A row says: this character (a base, or a base with its variation selector) has been identified in
J-LIS's 統一文字 table, so notices may carry it as a 外字. Insert-only, like the 抑止マーク: a
registration is never edited; the code the clerk confirmed is kept beside it.
"""

from __future__ import annotations

from django.db import models


class UnifiedCharacterRegistration(models.Model):
    """One 外字 the municipality registered as a 住基ネット統一文字."""

    character = models.CharField("文字", max_length=4, unique=True)  # base + optional selector
    unified_code = models.CharField("統一文字コード", max_length=16)  # as read in the J-LIS table
    registered_by = models.CharField("登録者", max_length=150)
    registered_at = models.DateTimeField("登録日時")

    class Meta:
        verbose_name = "住基ネット統一文字の外字登録"
        verbose_name_plural = "住基ネット統一文字の外字登録"

    def __str__(self) -> str:
        return f"統一文字登録 {self.pk}"

"""The 統合記載欄's own rows (standard 1.1.14-a/b; records.md §6 「備考 (統合記載欄)」).

Type A (history) is the snapshots and type B (留意事項) is ``Change.attention_note``; these models hold:

- ``ResidentRemark``: a type-C remark (備考) a clerk writes about one person, with its date, clerk and
  reason. Append-only: ending a remark is a new row that ``withdraws`` it (with its own reason); nothing
  is updated or deleted, so the remark history is the table itself.
- ``PresetNote``: the preset type-B texts per 異動事由 (1.1.14-b), offered on the entry screens; staff
  maintain them in Django admin (like the masters). Retiring a text keeps it (``active`` off).
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models


class RemarkDeletionRefused(Exception):  # noqa: N818 (a refusal, as AccessRefused)
    """Remark rows are history: they are never deleted (a withdrawal is a row of its own)."""


class _AppendOnlyQuerySet(models.QuerySet[Any]):
    def delete(self) -> tuple[int, dict[str, int]]:
        raise RemarkDeletionRefused("備考の履歴は削除できません。")

    def update(self, **kwargs: Any) -> int:
        raise RemarkDeletionRefused("備考の履歴は変更できません。")


class ResidentRemark(models.Model):
    """One type-C remark (備考) about one person, or the withdrawal of one (``withdraws`` set, no text)."""

    resident = models.ForeignKey("registry.Resident", on_delete=models.PROTECT, related_name="+")
    text = models.CharField("備考", max_length=200, blank=True)
    # 備考日付 (records.md T86–87): the day the remark takes effect, printed before it.
    recorded_on = models.DateField("記載日")
    reason = models.CharField("理由", max_length=200)
    withdraws = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="withdrawal"
    )
    written_at = models.DateTimeField("記録日時")
    written_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    written_by_name = models.CharField("記録者", max_length=150)

    objects = _AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = "備考（統合記載欄C）"
        verbose_name_plural = "備考（統合記載欄C）"
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=models.Q(withdraws__isnull=True) & ~models.Q(text="")
                | models.Q(withdraws__isnull=False, text=""),
                name="registry_remark_text_or_withdrawal",
            ),
        ]

    def __str__(self) -> str:
        return f"備考 {self.pk}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise RemarkDeletionRefused("備考の履歴は変更できません。")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise RemarkDeletionRefused("備考の履歴は削除できません。")


class PresetNote(models.Model):
    """A preset type-B text (留意事項) for one 異動事由 (standard 1.1.14-b), offered on entry."""

    reason = models.CharField("異動事由", max_length=20)
    text = models.CharField("定型文", max_length=200)
    sort_order = models.PositiveSmallIntegerField("表示順", default=0)
    active = models.BooleanField("使用中", default=True)
    # The source of the wording, e.g. 「標準仕様書 1.1.14-c」; blank for a municipality's own text.
    source = models.CharField("出典", max_length=100, blank=True)

    class Meta:
        verbose_name = "留意事項の定型文"
        verbose_name_plural = "留意事項の定型文"
        ordering: ClassVar = ["reason", "sort_order", "pk"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["reason", "text"], name="registry_preset_note_once"),
        ]

    def __str__(self) -> str:
        return f"{self.reason}: {self.text}"

"""メモ (standard 1.1.15-a; records.md §6 「メモ」): free text about one person, for staff only.

Append-only: a memo is a ``ResidentMemo`` and every text it ever had is a ``ResidentMemoVersion``
(who, when); an edit adds a version, a deletion adds an empty version marked deleted. Nothing is
updated or deleted, so the edit and delete history the standard asks for is the table itself. No
certificate, notice or feed reads these models: a memo is never printed (jumin.registry.memos).
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models


class MemoDeletionRefused(Exception):  # noqa: N818 (a refusal, as AccessRefused)
    """Memo rows are history: they are never deleted (a deletion is a version of its own)."""


class _AppendOnlyQuerySet(models.QuerySet[Any]):
    def delete(self) -> tuple[int, dict[str, int]]:
        raise MemoDeletionRefused("メモの履歴は削除できません。")


class ResidentMemo(models.Model):
    """One memo about one person; its texts are its versions."""

    resident = models.ForeignKey("registry.Resident", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("作成日時")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    objects = _AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = "メモ"
        verbose_name_plural = "メモ"

    def __str__(self) -> str:
        return f"メモ {self.pk}"

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise MemoDeletionRefused("メモの履歴は削除できません。")


class ResidentMemoVersion(models.Model):
    """One text of a memo, or its deletion (``deleted``, empty text), with who wrote it and when."""

    memo = models.ForeignKey(ResidentMemo, on_delete=models.PROTECT, related_name="versions")
    version = models.PositiveIntegerField("版")
    text = models.CharField("内容", max_length=1000, blank=True)
    deleted = models.BooleanField("削除", default=False)
    written_at = models.DateTimeField("記録日時")
    written_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    written_by_name = models.CharField("記録者", max_length=150)

    objects = _AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = "メモの版"
        verbose_name_plural = "メモの版"
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["memo", "version"], name="registry_memo_version_once"),
            models.CheckConstraint(
                condition=models.Q(deleted=True, text="") | models.Q(deleted=False) & ~models.Q(text=""),
                name="registry_memo_text_unless_deleted",
            ),
        ]

    def __str__(self) -> str:
        return f"メモ {self.memo_id} 第{self.version}版"

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise MemoDeletionRefused("メモの履歴は削除できません。")

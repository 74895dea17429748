"""Persistence of the file link with the program systems (地域情報プラットフォーム, standard 7.2.1-a).

* ``ProgramLinkFile``: one file a program unit dropped in its inbox, taken once (its SHA-256 digest per
  unit); the ``ProgramRecord`` rows it applied point at it (``received_in``), so a screen can say from
  which unit and when a value came.
* ``ProgramLinkRefusal``: a refused line of such a file (line, column, reason; never the value).
* ``ResidentDataExport``: one resident-data file written for a unit, with the outbox events it carried,
  so the next run sends only what no earlier file of that unit carried.
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models


class ProgramLinkFile(models.Model):
    """One received file; a file already taken in full (``DONE``) is never applied again."""

    class State(models.TextChoices):
        RECEIVING = "receiving", "取込中"
        DONE = "done", "取込済"
        REFUSED = "refused", "ファイル全体を不受理"

    unit = models.CharField("連携元", max_length=40)
    file_name = models.CharField("ファイル名", max_length=255)
    digest = models.CharField("SHA-256", max_length=64)
    received_at = models.DateTimeField("受信日時")
    state = models.CharField("状態", max_length=12, choices=State.choices, default=State.RECEIVING)
    line_count = models.PositiveIntegerField("行数", default=0)
    applied_count = models.PositiveIntegerField("反映件数", default=0)
    unchanged_count = models.PositiveIntegerField("変更なし件数", default=0)
    refused_count = models.PositiveIntegerField("不受理件数", default=0)

    class Meta:
        verbose_name = "連携受信ファイル"
        verbose_name_plural = "連携受信ファイル"
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["unit", "digest"], name="registry_program_link_file_once")
        ]

    def __str__(self) -> str:
        return f"連携受信ファイル {self.pk}"


class ProgramLinkRefusal(models.Model):
    """A line of a received file that was not applied (or, line 0, the whole file), and why."""

    file = models.ForeignKey(ProgramLinkFile, on_delete=models.PROTECT, related_name="refusals")
    line = models.PositiveIntegerField("行")
    column = models.CharField("列", max_length=60, blank=True)
    reason = models.CharField("理由", max_length=300)
    remedy = models.CharField("対処", max_length=300, blank=True)
    code = models.CharField("コード", max_length=60)

    class Meta:
        verbose_name = "連携受信の不受理行"
        verbose_name_plural = "連携受信の不受理行"

    def __str__(self) -> str:
        return f"不受理 {self.file_id}:{self.line}"


class ResidentDataExport(models.Model):
    """One resident-data file (4情報 of the persons changed since the unit's last file)."""

    unit = models.CharField("連携先", max_length=40)
    file_name = models.CharField("ファイル名", max_length=255)
    written_at = models.DateTimeField("作成日時")
    row_count = models.PositiveIntegerField("件数")
    with_individual_number = models.BooleanField("個人番号を含む", default=False)
    events = models.ManyToManyField("registry.RegistryEvent", related_name="+")

    class Meta:
        verbose_name = "住民データ連携ファイル"
        verbose_name_plural = "住民データ連携ファイル"

    def __str__(self) -> str:
        return f"住民データ連携ファイル {self.pk}"

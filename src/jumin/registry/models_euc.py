"""EUC: saved extraction definitions per user and the background runs with their results (standard 10.1)."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class EucDefinition(models.Model):
    """An extraction definition a user saved under a name (10.1-b); only its owner sees it."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    name = models.CharField("定義名", max_length=100)
    definition = models.JSONField("抽出定義")
    saved_at = models.DateTimeField("保存日時", auto_now=True)

    class Meta:
        verbose_name = "EUC抽出定義"
        verbose_name_plural = "EUC抽出定義"
        constraints = (models.UniqueConstraint(fields=["owner", "name"], name="euc_definition_owner_name"),)

    def __str__(self) -> str:
        return f"EUC抽出定義 {self.pk}"


class EucRun(models.Model):
    """One extraction run: queued by a user, filled by the background job, downloadable until it expires."""

    class State(models.TextChoices):
        QUEUED = "queued", "待機中"
        RUNNING = "running", "実行中"
        DONE = "done", "完了"
        FAILED = "failed", "失敗"
        EXPIRED = "expired", "期限切れ"

    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    purpose = models.CharField("利用目的", max_length=64)
    terminal_id = models.CharField("端末", max_length=64, blank=True)
    definition = models.JSONField("抽出定義")
    output_format = models.CharField("出力形式", max_length=10)
    encoding = models.CharField("文字コード", max_length=20, blank=True)
    approval_id = models.BigIntegerField("大量出力の承認", null=True, blank=True)
    state = models.CharField("状態", max_length=10, choices=State.choices, default=State.QUEUED)
    requested_at = models.DateTimeField("依頼日時", auto_now_add=True)
    # Set when a worker takes the run up (待機中 → 実行中).
    started_at = models.DateTimeField("開始日時", null=True, blank=True)
    finished_at = models.DateTimeField("完了日時", null=True, blank=True)
    expires_at = models.DateTimeField("ダウンロード期限", null=True, blank=True)
    row_count = models.PositiveIntegerField("出力件数", default=0)
    excluded_count = models.PositiveIntegerField("支援措置により除外した件数", default=0)
    # Rows left out for characters outside the chosen encoding: row number, 宛名番号 and item names only.
    refused_rows = models.JSONField("文字コード外で出力しなかった行", default=list, blank=True)
    error = models.CharField("エラー", max_length=300, blank=True)
    content = models.BinaryField("出力ファイル", null=True, blank=True)
    file_sha256 = models.CharField("ファイルのSHA-256", max_length=64, blank=True)
    # Set when the worker's start found the run's job lost and queued it again (once only).
    requeued_at = models.DateTimeField("再投入日時", null=True, blank=True)

    class Meta:
        verbose_name = "EUC抽出"
        verbose_name_plural = "EUC抽出"

    def __str__(self) -> str:
        return f"EUC抽出 {self.pk}"

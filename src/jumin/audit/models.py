"""The audit log tables. Rows are only ever inserted (see services.record_event; controls.md C-50)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from django.db import models

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class AuditChainHead(models.Model):
    """The single row that serialises appends: its lock orders concurrent writers on PostgreSQL."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)
    # When the last signed checkpoint was written (epoch µs; 0 before the first entry).
    last_checkpoint_us = models.BigIntegerField(default=0)
    # The last entry's prev_hash and whether a checkpoint was due at it. They are what PostgreSQL's
    # one-statement append needs back from its UPDATE … RETURNING, which returns only new values.
    prev_hash = models.CharField(max_length=64, default="0" * 64)
    checkpoint_due = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"head {self.last_seq}"


class AuditEntry(models.Model):
    """One audited event (issue 3 item 4; controls.md C-42, C-44, C-48; standard 10.2-a).

    Never holds a 個人番号 or other personal values: subjects are internal ids, before/after are
    digests (``services.digest_of``), ``query_summary`` names the kinds of search keys, not values.
    """

    seq = models.BigIntegerField("連番", unique=True)
    # Microseconds since the Unix epoch (UTC): one exact integer that both engines hash alike.
    created_us = models.BigIntegerField("日時（μ秒）", db_index=True)
    actor_id = models.BigIntegerField("操作者ID", null=True, blank=True)
    actor_name = models.CharField("操作者氏名", max_length=100, blank=True)
    actor_role = models.CharField("操作者役割", max_length=100, blank=True)
    terminal_id = models.CharField("端末ID", max_length=64, blank=True)
    node = models.CharField("ノード", max_length=40)
    action = models.CharField("操作", max_length=80)
    subject_type = models.CharField("対象種別", max_length=40, blank=True)
    subject_id = models.CharField("対象ID", max_length=64, blank=True)
    purpose = models.CharField("利用目的", max_length=100, blank=True)
    reason = models.CharField("理由", max_length=400, blank=True)
    individual_number_used = models.BooleanField("個人番号の表示・利用", default=False)
    support_measure = models.BooleanField("支援措置対象への操作", default=False)
    request_id = models.CharField("リクエストID", max_length=64, blank=True)
    outcome = models.CharField("結果", max_length=10)
    outcome_reason = models.CharField("結果理由", max_length=400, blank=True)
    before_digest = models.CharField("変更前ダイジェスト", max_length=64, blank=True)
    after_digest = models.CharField("変更後ダイジェスト", max_length=64, blank=True)
    query_summary = models.CharField("検索条件の種類", max_length=200, blank=True)
    result_count = models.PositiveIntegerField("該当件数", default=0)
    results_digest = models.CharField("該当者一覧ダイジェスト", max_length=64, blank=True)
    prev_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = "監査ログ"
        verbose_name_plural = "監査ログ"
        indexes: ClassVar = [
            models.Index(fields=["subject_type", "subject_id", "seq"], name="audit_subject_idx"),
            models.Index(fields=["action", "created_us"], name="audit_action_time_idx"),
            # Only searches carry a results digest; verification walks just those (C-48).
            models.Index(fields=["seq"], condition=~models.Q(results_digest=""), name="audit_results_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.seq} {self.action} {self.outcome}"

    @property
    def created_at(self) -> datetime:
        """The entry's time as an aware UTC datetime."""
        return EPOCH + timedelta(microseconds=self.created_us)


class AuditResultSubject(models.Model):
    """One person who appeared in a search's result list (controls.md C-48 "listed", not "consulted").

    The entry's ``results_digest`` covers these rows in ``position`` order, so the chain detects an
    added or removed row. They are written with the search and ordered by entry only: a person's
    access history (P8) finds them through ``ListedSubject``, filled off the request path (P2).
    """

    # No index of its own: the unique (entry, position) index serves lookups by entry, and a search
    # writes up to a thousand of these rows (P2). No per-row constraint either: on PostgreSQL a trigger
    # checks the entry once per INSERT statement (migration 0010); SQLite keeps its foreign key.
    entry = models.ForeignKey(
        AuditEntry,
        on_delete=models.PROTECT,
        related_name="result_subjects",
        db_index=False,
        db_constraint=False,
    )
    position = models.PositiveIntegerField("順位")
    subject_id = models.CharField("対象ID", max_length=64)

    class Meta:
        verbose_name = "検索結果の該当者"
        verbose_name_plural = "検索結果の該当者"
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["entry", "position"], name="audit_result_position_unique")
        ]

    def __str__(self) -> str:
        return f"{self.entry_id}#{self.position}"


class ListedSubject(models.Model):
    """The per-person index of ``AuditResultSubject``: (person, entry), built in batches (``listings``).

    An index on ``AuditResultSubject.subject_id`` written by each search put every listed person on a
    different leaf page: a search listing 130 people dirtied about 130 pages, and the WAL checkpoints
    that followed landed inside searches' commits (docs/benchmarks.md, P2). The rows are copied here
    after the fact, sorted by person, and ``ListedIndexHead`` says up to which entry; lookups read the
    rows after it from ``AuditResultSubject`` directly, so nothing is missed while the copy lags.
    """

    subject_id = models.CharField("対象ID", max_length=64)
    entry = models.ForeignKey(AuditEntry, on_delete=models.PROTECT, related_name="+", db_index=False)

    class Meta:
        verbose_name = "該当者索引"
        verbose_name_plural = "該当者索引"
        indexes: ClassVar = [models.Index(fields=["subject_id", "entry"], name="audit_listed_subject_idx")]

    def __str__(self) -> str:
        return f"{self.subject_id}@{self.entry_id}"


class ListedIndexHead(models.Model):
    """The single row saying that ``ListedSubject`` holds every result row of entries up to
    ``indexed_through`` (an ``AuditEntry`` id) and none after it."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    indexed_through = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"listed through {self.indexed_through}"


class AuditCheckpoint(models.Model):
    """A signed statement "entry ``seq`` had hash ``entry_hash`` at ``created_us``" (controls.md C-50).

    Signed with the node's Ed25519 key (``signing.py``) every N entries or M minutes, so a rewrite of
    the whole chain or a truncation of its tail by someone with database access but without the key
    no longer matches a signed checkpoint. Checkpoints are also exported to a separate store.
    """

    seq = models.BigIntegerField("連番", unique=True)
    entry_hash = models.CharField(max_length=64)
    created_us = models.BigIntegerField("日時（μ秒）")
    node = models.CharField("ノード", max_length=40)
    key_id = models.CharField("鍵ID", max_length=16)
    signature = models.CharField("署名", max_length=128)

    class Meta:
        verbose_name = "監査ログ署名チェックポイント"
        verbose_name_plural = "監査ログ署名チェックポイント"

    def __str__(self) -> str:
        return f"checkpoint {self.seq}"


class AuditRetentionSetting(models.Model):
    """One setting of the audit log's retention by the municipality (standard 10.2-c; controls.md C-51).

    Appended, never updated: the latest row is in force and the earlier ones are the setting's history
    (C-49: each change is also an audit entry naming the old and the new value). No row → the default.
    """

    years = models.PositiveSmallIntegerField("保存期間（年）")
    set_us = models.BigIntegerField("設定日時（μ秒）")
    set_by_id = models.BigIntegerField("設定者ID", null=True, blank=True)
    set_by_name = models.CharField("設定者氏名", max_length=100, blank=True)
    reason = models.CharField("理由", max_length=400, blank=True)

    class Meta:
        verbose_name = "監査ログ保存期間設定"
        verbose_name_plural = "監査ログ保存期間設定"

    def __str__(self) -> str:
        return f"{self.years}年"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Insert only: a new setting is a new row, so the history cannot be rewritten (C-49)."""
        if not self._state.adding:
            raise ValueError("監査ログ保存期間の設定は変更できません。新しい設定を追加してください。")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ValueError("監査ログ保存期間の設定履歴は削除できません。")

    @property
    def set_at(self) -> datetime:
        """When the setting was made, as an aware UTC datetime."""
        return EPOCH + timedelta(microseconds=self.set_us)

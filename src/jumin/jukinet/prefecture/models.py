"""Tables of the 都道府県サーバ and the 附票都道府県サーバ (records.md §2, §3; docs/prefecture.md).

* ``IdentityRecord``: the current 都道府県知事保存本人確認情報 (28 items) of one 住民票コード. The notice
  items are kept as the notice's JSON without the 個人番号, which is only ever stored encrypted with
  a blind index; search keys and the consistency digest are columns of their own.
* ``IdentityVersion``: every accepted update as a full snapshot (insert-only; ``superseded_at`` is set
  once when the next version arrives). Kept 150 years after it stops being current (records.md D1).
* ``RefusedUpdate``: every refused update (本人確認情報 and 附票), with the reason sent back. No names.
* ``FuhyoRecord`` / ``FuhyoVersion``: 附票本人確認情報 (18 items), the same way, without any 個人番号.
* ``TemporaryIndividualNumber``: the separate temporary 個人番号 area of the 附票都道府県サーバ
  (system.md F21): a row is deleted as soon as delivery is confirmed, and after 1 year at the latest.
* ``ConsistencyRun`` / ``ConsistencyDifference``: the 整合性確認 result log per municipality.
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models

from jumin.crypto.fields import IndividualNumberField
from jumin.crypto.models import HasIndividualNumber
from jumin.jukinet.common.consistency import ConsistencyFile


class IdentityRecord(HasIndividualNumber):
    """The current 都道府県知事保存本人確認情報 of one 住民票コード (the last accepted notice)."""

    individual_number = IndividualNumberField(purpose="jukinet_prefecture.identity", null=True, blank=True)
    resident_code = models.CharField("住民票コード", max_length=11, unique=True)
    municipality_code = models.CharField("市町村コード", max_length=6)
    update_seq = models.PositiveBigIntegerField("更新順番号")
    removed = models.BooleanField("削除フラグ", default=False)
    # 保存期間フラグ: the record is a removed person under the 150-year rule; counted from removed_at.
    retention_flag = models.BooleanField("保存期間フラグ", default=False)
    removed_at = models.DateTimeField("消除を受けた日時", null=True, blank=True, db_index=True)
    name_key = models.CharField("氏名検索キー", max_length=200, db_index=True)
    kana_key = models.CharField("清音化かな検索キー", max_length=200, blank=True, db_index=True)
    birth_date = models.CharField("生年月日", max_length=8, db_index=True)
    sex = models.CharField("性別", max_length=6)
    address = models.CharField("住所", max_length=200)
    change_reason = models.CharField("異動事由", max_length=20)
    notice = models.JSONField("本人確認情報（個人番号を除く）")
    consistency_digest = models.CharField("整合性確認ダイジェスト", max_length=22)
    name_gaiji_seq = models.PositiveIntegerField("氏名外字変更連番", default=0)
    address_gaiji_seq = models.PositiveIntegerField("住所外字変更連番", default=0)
    former_surname_gaiji_seq = models.PositiveIntegerField("旧氏外字変更連番", default=0)
    received_at = models.DateTimeField("通知を受けた日時")
    received_on = models.DateField("通知を受けた年月日")
    sender_code = models.CharField("通知元市町村コード", max_length=6)

    class Meta:
        verbose_name = "都道府県知事保存本人確認情報"
        indexes: ClassVar = [
            # 整合性確認 reads only (code, digest) of one municipality's current records in code order.
            models.Index(
                fields=["municipality_code", "removed", "resident_code", "consistency_digest"],
                name="pref_record_consistency",
            ),
        ]

    def __str__(self) -> str:
        return f"都道府県知事保存本人確認情報 {self.pk}"


class IdentityVersion(HasIndividualNumber):
    """One accepted update as a full snapshot (insert-only); kept 150 years after it stops being current."""

    individual_number = IndividualNumberField(purpose="jukinet_prefecture.version", null=True, blank=True)
    record = models.ForeignKey(IdentityRecord, on_delete=models.CASCADE, related_name="versions")
    resident_code = models.CharField("住民票コード", max_length=11, db_index=True)
    municipality_code = models.CharField("市町村コード", max_length=6)
    update_seq = models.PositiveBigIntegerField("更新順番号")
    change_reason = models.CharField("異動事由", max_length=20)
    notice = models.JSONField("本人確認情報（個人番号を除く）")
    consistency_digest = models.CharField("整合性確認ダイジェスト", max_length=22)
    message_id = models.UUIDField("受信メッセージID", unique=True)
    sender_code = models.CharField("通知元市町村コード", max_length=6, db_index=True)
    received_at = models.DateTimeField("通知を受けた日時", db_index=True)
    superseded_at = models.DateTimeField("次の更新を受けた日時", null=True, blank=True, db_index=True)
    # The IDENTITY_UPDATE to the national node ("" while the national node is not a configured peer).
    forward_message_id = models.CharField("全国サーバへの通知ID", max_length=36, blank=True, db_index=True)

    class Meta:
        verbose_name = "都道府県知事保存本人確認情報の履歴"

    def __str__(self) -> str:
        return f"履歴 {self.pk}"


class RefusedUpdate(models.Model):
    """A refused update, returned to the sending CS as IDENTITY_UPDATE_REJECTED (no names, no numbers)."""

    class Kind(models.TextChoices):
        IDENTITY = "identity", "本人確認情報"
        FUHYO = "fuhyo", "附票本人確認情報"

    kind = models.CharField("種別", max_length=8, choices=Kind.choices)
    message_id = models.UUIDField("受信メッセージID", unique=True)
    subject_key = models.CharField("対象キー", max_length=64)
    sender_kind = models.CharField("送信元ノード種別", max_length=12)
    sender_code = models.CharField("送信元コード", max_length=6, db_index=True)
    update_seq = models.PositiveBigIntegerField("更新順番号")
    change_reason = models.CharField("異動事由・通知区分", max_length=20, blank=True)
    code = models.CharField("拒否コード", max_length=64)
    reason = models.CharField("理由", max_length=400)
    remedy = models.CharField("対処", max_length=400, blank=True)
    received_at = models.DateTimeField("受信日時", db_index=True)
    # The IDENTITY_UPDATE_REJECTED sent back ("" when the sender is not a configured peer: then only
    # the audit entry and this row report it).
    reply_message_id = models.CharField("拒否通知ID", max_length=36, blank=True)

    class Meta:
        verbose_name = "更新の拒否"

    def __str__(self) -> str:
        return f"拒否 {self.message_id}"


class FuhyoRecord(models.Model):
    """The current 附票本人確認情報 (18 items) of one 住民票コード; 本籍 and 筆頭者 are never held."""

    resident_code = models.CharField("住民票コード", max_length=11, unique=True)
    fuhyo_municipality_code = models.CharField("附票管理市町村コード", max_length=6, db_index=True)
    state = models.CharField("附票本人確認情報状態区分", max_length=8)
    name_key = models.CharField("氏名検索キー", max_length=200, db_index=True)
    # 附票の検索 by reading (清音化, as the national node keys it) and by birth date (fuhyo_search).
    kana_key = models.CharField("清音化かな検索キー", max_length=200, blank=True, default="", db_index=True)
    birth_date = models.CharField("生年月日", max_length=8, db_index=True)
    items = models.JSONField("附票本人確認情報")
    deleted_at = models.DateTimeField("削除を受けた日時", null=True, blank=True, db_index=True)
    received_at = models.DateTimeField("通知を受けた日時")
    sender_code = models.CharField("通知元市町村コード", max_length=6)

    class Meta:
        verbose_name = "附票本人確認情報"

    def __str__(self) -> str:
        return f"附票本人確認情報 {self.pk}"


class FuhyoVersion(models.Model):
    """One accepted 附票 update as a full snapshot (insert-only); kept 150 years once superseded."""

    record = models.ForeignKey(FuhyoRecord, on_delete=models.CASCADE, related_name="versions")
    resident_code = models.CharField("住民票コード", max_length=11, db_index=True)
    notice_type = models.CharField("通知区分", max_length=8)
    items = models.JSONField("附票本人確認情報")
    message_id = models.UUIDField("受信メッセージID", unique=True)
    sender_code = models.CharField("通知元市町村コード", max_length=6, db_index=True)
    received_at = models.DateTimeField("通知を受けた日時", db_index=True)
    superseded_at = models.DateTimeField("次の更新を受けた日時", null=True, blank=True, db_index=True)
    # The FUHYO_UPDATE to the 附票全国サーバ ("" while the national node is not a configured peer).
    forward_message_id = models.CharField(
        "附票全国サーバへの通知ID", max_length=36, blank=True, default="", db_index=True
    )

    class Meta:
        verbose_name = "附票本人確認情報の履歴"

    def __str__(self) -> str:
        return f"附票履歴 {self.pk}"


class TemporaryIndividualNumber(HasIndividualNumber):
    """The temporary 個人番号 area for a 国外転出者 (system.md F21b): separate from the 附票 tables.

    The row, and with it the only copy of the ciphertext, is deleted when delivery is confirmed or
    after 1 year, whichever comes first.
    """

    individual_number = IndividualNumberField(purpose="jukinet_prefecture.temporary", null=True, blank=True)
    resident_code = models.CharField("住民票コード", max_length=11, db_index=True)
    purpose = models.CharField("利用目的", max_length=100)
    requested_by = models.CharField("取得者", max_length=150)
    created_at = models.DateTimeField("取得日時", db_index=True)

    class Meta:
        verbose_name = "個人番号一時保管"

    def __str__(self) -> str:
        return f"個人番号一時保管 {self.pk}"


class ConsistencyRun(models.Model):
    """One 整合性確認 run of a CS against this node's file (system.md F14), chunk by chunk."""

    run_id = models.UUIDField("実行ID", unique=True)
    # common.consistency.ConsistencyFile: the 本人確認情報 file or the 附票 file of the municipality.
    file = models.CharField(
        "対象ファイル",
        max_length=10,
        choices=[(f.value, f.label) for f in ConsistencyFile],
        default=ConsistencyFile.IDENTITY.value,
    )
    municipality_code = models.CharField("市町村コード", max_length=6, db_index=True)
    sender_code = models.CharField("送信元コード", max_length=6)
    operator_id = models.CharField("操作者ID", max_length=64)
    terminal_id = models.CharField("操作端末ID", max_length=64)
    started_at = models.DateTimeField("開始日時")
    finished_at = models.DateTimeField("完了日時", null=True, blank=True)
    chunks = models.PositiveIntegerField("受信チャンク数", default=0)
    entries = models.PositiveIntegerField("照合件数", default=0)
    missing_here = models.PositiveIntegerField("当方未保有", default=0)
    extra_here = models.PositiveIntegerField("当方のみ保有", default=0)
    different = models.PositiveIntegerField("内容相違", default=0)

    class Meta:
        verbose_name = "整合性確認の実行"

    def __str__(self) -> str:
        return f"整合性確認 {self.run_id}"


class ConsistencyDifference(models.Model):
    """One differing 住民票コード found by a run (resolved at the municipality by F08)."""

    class Kind(models.TextChoices):
        MISSING_HERE = "missing_here", "都道府県に無い"
        EXTRA_HERE = "extra_here", "都道府県にのみ有る"
        DIFFERENT = "different", "内容が異なる"

    run = models.ForeignKey(ConsistencyRun, on_delete=models.CASCADE, related_name="differences")
    resident_code = models.CharField("住民票コード", max_length=11)
    kind = models.CharField("種類", max_length=12, choices=Kind.choices)
    chunk_no = models.PositiveIntegerField("チャンク番号")

    class Meta:
        verbose_name = "整合性確認の相違"
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["run", "resident_code"], name="pref_consistency_one_per_code"),
        ]

    def __str__(self) -> str:
        return f"相違 {self.pk}"


class SharedCsMember(models.Model):
    """A municipality the shared CS ``cs_code`` registered as its member (共同利用, docs/jukinet.md Flow 14).

    The current state, replaced by each member list the CS sends; every list received stays in
    ``SharedCsMemberList`` (insert-only). A municipality with no row sends for itself only.
    """

    municipality_code = models.CharField("構成市町村コード", max_length=6, unique=True)
    name = models.CharField("市町村名", max_length=40)
    cs_code = models.CharField("共同利用CSのノードコード", max_length=6, db_index=True)
    registered_at = models.DateTimeField("登録日時")

    class Meta:
        verbose_name = "共同利用CSの構成市町村（都道府県サーバ）"
        verbose_name_plural = "共同利用CSの構成市町村（都道府県サーバ）"

    def __str__(self) -> str:
        return f"構成市町村 {self.municipality_code}"


class SharedCsMemberList(models.Model):
    """One member list a shared CS sent (insert-only): the signed message's id, the list, the outcome."""

    message_id = models.CharField("受信メッセージID", max_length=36, unique=True)
    cs_code = models.CharField("共同利用CSのノードコード", max_length=6)
    members = models.JSONField("構成市町村")  # [{"municipality_code", "name"}]: no personal data
    refused_code = models.CharField("拒否コード", max_length=64, blank=True)
    received_at = models.DateTimeField("受信日時")

    class Meta:
        verbose_name = "共同利用CSの構成市町村通知（都道府県サーバ）"
        verbose_name_plural = "共同利用CSの構成市町村通知（都道府県サーバ）"

    def __str__(self) -> str:
        return f"構成市町村通知 {self.pk}"

"""除票データベース (standard 1.1.5-e/f/g, 9.3-a): the store 除票 move to after five years.

The move marks and copies, it deletes no history (docs/workflows/removed-archive.md): each archived
person gets an entry (``RemovedArchiveEntry``) and a copy of every committed snapshot
(``ArchivedSnapshot``, the row as Django's JSON serializer writes it, 個人番号 still sealed, with its
SHA-256), and their search keys move from ``ResidentSearchKey`` (derived, live search) to
``ArchivedSearchKey`` (the same columns, so ``search.search_filter`` applies to both). The live
snapshots stay, their contents unchanged, marked with the entry (``ResidentSnapshot.archive_entry``,
``Resident.archive_entry``). After 150 years the purge deletes the copies, keys and the person's live
rows and marks the entry purged (docs/adr/0004-removed-archive-live-rows.md).
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models


class RemovedArchiveEntry(models.Model):
    """One person moved into the 除票データベース, as of their 除票 row ``through_history_no``.

    A person who comes back (再転入) gets live rows again; if they are removed again, a later run
    archives them anew under the new 履歴番号 (a second entry), so an entry is never rewritten
    except for ``purged_at``.
    """

    resident = models.ForeignKey(
        "registry.Resident", on_delete=models.PROTECT, related_name="archive_entries"
    )
    atena_number = models.CharField("宛名番号", max_length=16)
    through_history_no = models.PositiveIntegerField("移した除票の履歴番号")
    removal_reason = models.CharField("消除事由", max_length=20)
    removal_date = models.DateField("消除日")
    # 処理日 of the removal: when its change was committed (除票 are kept in this order, 1.1.5-g).
    removal_processed_at = models.DateTimeField("消除の処理日時")
    archived_at = models.DateTimeField("除票データベースへの移動日時")
    retain_until = models.DateField("保存期限（消除日から150年）")
    purged_at = models.DateTimeField("削除日時", null=True, blank=True)
    # SHA-256 over the digests of the rows this entry copied, in 履歴番号 order: the move checks the
    # copies against the live rows before it marks them, and stores what it checked.
    copy_digest = models.CharField("複写の検証値（SHA-256）", max_length=64, blank=True, default="")

    class Meta:
        verbose_name = "除票データベース"
        verbose_name_plural = "除票データベース"
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["resident", "through_history_no"], name="registry_archive_entry_key"
            ),
        ]
        indexes: ClassVar = [
            models.Index(fields=["removal_processed_at", "atena_number"], name="registry_archive_order_idx"),
            models.Index(fields=["retain_until"], name="registry_archive_retain_idx"),
        ]

    def __str__(self) -> str:
        return f"除票データベース 宛名番号 {self.atena_number}"


class ArchivedSnapshot(models.Model):
    """A byte-exact copy of one committed ``ResidentSnapshot`` (its serialized row and digest)."""

    entry = models.ForeignKey(RemovedArchiveEntry, on_delete=models.PROTECT, related_name="snapshots")
    resident = models.ForeignKey("registry.Resident", on_delete=models.PROTECT, related_name="+")
    history_no = models.PositiveIntegerField("履歴番号")
    source_id = models.BigIntegerField("元の住民票履歴のID")
    row = models.TextField("住民票履歴（JSON）")
    digest = models.CharField("SHA-256", max_length=64)

    class Meta:
        verbose_name = "除票データベースの住民票履歴"
        verbose_name_plural = "除票データベースの住民票履歴"
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["resident", "history_no"], name="registry_archived_row_key"),
        ]

    def __str__(self) -> str:
        return f"除票データベース 履歴 {self.history_no}"


class ArchivedSearchKey(models.Model):
    """A search-key row of an archived person: ``ResidentSearchKey``'s columns, moved here by the batch."""

    entry = models.ForeignKey(RemovedArchiveEntry, on_delete=models.CASCADE, related_name="search_keys")
    resident = models.ForeignKey("registry.Resident", on_delete=models.PROTECT, related_name="+")
    snapshot = models.ForeignKey("registry.ResidentSnapshot", on_delete=models.PROTECT, related_name="+")
    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField("名前の種類", max_length=16)
    is_current_name = models.BooleanField("現在の名前", default=True)
    full_key = models.CharField("フリガナ検索キー（氏名）", max_length=200, db_index=True)
    surname_key = models.CharField("フリガナ検索キー（氏）", max_length=100)
    given_key = models.CharField("フリガナ検索キー（名）", max_length=100)
    variant_key = models.CharField("異体字検索キー（氏名）", max_length=200, db_index=True)
    variant_surname_key = models.CharField("異体字検索キー（氏）", max_length=100)
    variant_given_key = models.CharField("異体字検索キー（名）", max_length=100)
    birth_sort_date = models.DateField("生年月日（並べ替え用）", db_index=True)
    sex = models.CharField("性別", max_length=10)
    address_code = models.CharField("住所コード", max_length=11)
    address = models.CharField("住所", max_length=200)
    status = models.CharField("住民状態", max_length=20)
    juminhyo_code = models.CharField("住民票コード", max_length=11, db_index=True)
    is_current_address = models.BooleanField("現在の住所", default=True)
    katagaki = models.CharField("方書", max_length=200, default="")
    relationship = models.CharField("続柄", max_length=40, default="")
    kana_confirmed = models.BooleanField("フリガナ確認", default=False)
    removal_reason = models.CharField("消除事由", max_length=20, default="")
    residence_card_number = models.CharField("在留カード番号", max_length=12, default="")
    special_permanent_resident_number = models.CharField("特別永住者証明書番号", max_length=12, default="")

    class Meta:
        verbose_name = "除票データベースの検索キー"
        verbose_name_plural = "除票データベースの検索キー"

    def __str__(self) -> str:
        return f"除票データベース 検索キー {self.pk}"

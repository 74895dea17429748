"""住民記録 persistence: people, households, changes (異動) and full-row history snapshots.

History is appended (spec architecture.md §4): a change writes one snapshot per person it touches.
A snapshot gets its 履歴番号 only when its change is committed (本登録); until then it is a draft
(仮登録) that no selector outside the workflow returns.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models

from jumin.accounts.context import current_terminal_id
from jumin.crypto.fields import IndividualNumberField
from jumin.crypto.models import HasIndividualNumber


class NumberCounter(models.Model):
    """The last serial issued for 宛名番号 or 世帯番号 (standard 1.1.13-a); locked while issuing."""

    name = models.CharField(primary_key=True, max_length=20)
    last_serial = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}: {self.last_serial}"


class JuminhyoCodePool(models.Model):
    """Unused 住民票コード fetched from the CS (standard 4.3.1-a); a code is consumed at 本登録."""

    code = models.CharField("住民票コード", primary_key=True, max_length=11)
    loaded_at = models.DateTimeField(auto_now_add=True)
    taken_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "住民票コード（未使用分）"
        verbose_name_plural = "住民票コード（未使用分）"
        # Taking a code probes "the first unused code at or after a random point" in this index.
        indexes: ClassVar = [models.Index(fields=["taken_at", "code"], name="registry_pool_unused_idx")]

    def __str__(self) -> str:
        return "住民票コード（プール）"


class Household(models.Model):
    """世帯: the number only; members and their order live on the members' snapshots (records.md §6.0)."""

    number = models.CharField("世帯番号", max_length=16, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "世帯"
        verbose_name_plural = "世帯"

    def __str__(self) -> str:
        return f"世帯 {self.number}"


class Resident(models.Model):
    """A person known to the registry, keyed by 宛名番号, which is never renumbered (records.md §6.1)."""

    atena_number = models.CharField("宛名番号", max_length=16, unique=True)
    kind = models.CharField("住民種別", max_length=1)
    created_at = models.DateTimeField(auto_now_add=True)
    # The latest committed snapshot: derived, but kept so that current-state reads are one join.
    current = models.OneToOneField(
        "ResidentSnapshot", null=True, blank=True, on_delete=models.PROTECT, related_name="current_of"
    )
    # Set while the person's 除票 is in the 除票データベース (standard 1.1.5-e): out of the live
    # working set. The archive move sets it; the commit that brings the person back clears it.
    archive_entry = models.ForeignKey(
        "registry.RemovedArchiveEntry",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="除票データベースの記録",
    )

    class Meta:
        verbose_name = "住民"
        verbose_name_plural = "住民"

    def __str__(self) -> str:
        return f"宛名番号 {self.atena_number}"


class ChangeState(models.TextChoices):
    """登録状態 of a change (standard 4.0.8)."""

    DRAFT = "draft", "仮登録"
    COMMITTED = "committed", "本登録"
    DISCARDED = "discarded", "破棄"


class Change(models.Model):
    """One 異動: what happened, to whom (its snapshots), who entered it and who reviewed it."""

    reason = models.CharField("異動事由", max_length=20)
    state = models.CharField(
        "登録状態", max_length=10, choices=ChangeState.choices, default=ChangeState.DRAFT
    )
    change_date = models.DateField("異動日")
    notification_date = models.DateField("届出日", null=True, blank=True)
    notification_kind = models.CharField("届出区分", max_length=10)
    made_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    made_at = models.DateTimeField("入力日時")
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField("確認日時", null=True, blank=True)
    terminal_id = models.CharField("入力端末", max_length=64, blank=True)
    # 入力場所 (standard 1.2.1-a, 1.3.1-a): the row of the input terminal's place in force at 本登録;
    # null on a draft. Changes committed before input places existed point at the 「不明」 row.
    input_place = models.ForeignKey(
        "accounts.InputPlace",
        verbose_name="入力場所",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # 異動の取消し (standard 4.6.0.1-e): the cancelling change points at the cancelled one; both stay.
    cancels = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="cancelled_by"
    )
    # A 職権 change another change made necessary (the 世帯主 left one member behind, standard
    # 4.0.4-a): entered, shown, committed and discarded together with that change, never alone.
    follows = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="followers"
    )
    # 留意事項 (type-B note of the 統合記載欄, standard 1.1.14-a, 1.2.1-a; records.md §6.14), e.g. 未届転入.
    attention_note = models.TextField("留意事項", blank=True, default="")

    class Meta:
        verbose_name = "異動"
        verbose_name_plural = "異動"
        indexes: ClassVar = [models.Index(fields=["state", "made_at"], name="registry_change_state_idx")]

    def __str__(self) -> str:
        return f"異動 {self.pk} {self.reason} {self.state}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """A new change records the terminal it is entered on (入力端末), unless the caller named one."""
        if self._state.adding and not self.terminal_id:
            self.terminal_id = current_terminal_id()
        super().save(*args, **kwargs)


class ExOfficioRecord(models.Model):
    """職権記録書 of one ex officio change (standard 4.2.0.1-a; 住民基本台帳法施行令12条).

    With the change's snapshots (who, before and after) it is also everything a 職権記載等通知書 needs:
    the action, the legal basis and the date; ``notice_required`` says whether one is sent.
    """

    change = models.OneToOneField(Change, on_delete=models.PROTECT, related_name="ex_officio_record")
    action = models.CharField("職権の種類", max_length=20)
    legal_basis = models.CharField("根拠法令", max_length=200)
    found_on = models.DateField("事実を確認した日")
    grounds = models.CharField("事由", max_length=200)
    findings = models.TextField("確認した事実・資料")
    minor_case = models.CharField("軽微な修正の区分", max_length=40, blank=True)
    notice_required = models.BooleanField("職権記載等通知書を送付する", default=True)
    changed_items = models.JSONField("修正した項目", default=list, blank=True)
    # 誤記修正 (standard 4.2.3.3-a): 宛名番号 → the 履歴番号 of the row the error was entered in; that
    # row stays in history and is shown as corrected.
    corrected_rows = models.JSONField("誤記のあった履歴", default=dict, blank=True)

    class Meta:
        verbose_name = "職権記録書"
        verbose_name_plural = "職権記録書"

    def __str__(self) -> str:
        return f"職権記録書 異動 {self.change_id}"


class NumberChangeRecord(models.Model):
    """The request or 職権 grounds of a 住民票コード or 個人番号 change (docs/workflows/number-changes.md).

    ``grounds`` is the reason a 個人番号の変更請求 gives (番号法7条2項: risk of misuse) or the facts of
    a 職権 change; it is personal data and is shown only on the change's own screens.
    """

    change = models.OneToOneField(Change, on_delete=models.PROTECT, related_name="number_change")
    number = models.CharField("変更する番号", max_length=20)  # 住民票コード or 個人番号
    basis = models.CharField("請求・職権の別", max_length=10)
    requested_on = models.DateField("請求日・事実を確認した日")
    grounds = models.TextField("理由", blank=True)

    class Meta:
        verbose_name = "番号の変更"
        verbose_name_plural = "番号の変更"

    def __str__(self) -> str:
        return f"番号の変更 異動 {self.change_id}"


class ResidentSnapshot(HasIndividualNumber):
    """A full row of one person's 住民票 as of one change (records.md §6, §6.14).

    Household data (世帯番号, 世帯主, 続柄, 並び順) is copied onto every member's row.
    Dates keep the form entered (JSON, see jumin.domain.recorded_dates) beside a sortable day.
    """

    resident = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="snapshots")
    change = models.ForeignKey(Change, on_delete=models.PROTECT, related_name="snapshots")
    history_no = models.PositiveIntegerField("履歴番号", null=True, blank=True)
    # The 履歴番号 this draft was derived from (None for a new person): commit refuses a draft whose
    # person has changed since, so two drafts can never silently overwrite each other.
    based_on_history_no = models.PositiveIntegerField("元の履歴番号", null=True, blank=True)
    # An 異動の取消し of an older change re-states each later row on the restored record (standard
    # 4.6.0.1-a): the re-stated row belongs to the cancellation and points at the row it re-states.
    restates = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="restated_by",
        verbose_name="再記載元",
    )
    # The 除票データベース entry holding this row's copy (standard 1.1.5-e): a mark on the row, set
    # once by the archive move after the copy is verified; never copied into a later row.
    archive_entry = models.ForeignKey(
        "registry.RemovedArchiveEntry",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="marked_rows",
        verbose_name="除票データベースの記録",
    )
    status = models.CharField("住民状態", max_length=20)
    kind = models.CharField("住民種別", max_length=1)

    surname = models.CharField("氏", max_length=100)
    given_name = models.CharField("名", max_length=100, blank=True)
    surname_kana = models.CharField("氏フリガナ", max_length=100)
    given_name_kana = models.CharField("名フリガナ", max_length=100, blank=True)
    # フリガナ確認 per kana item (standard 1.1.18-a): the 氏名's (also the search key's), the 旧氏's
    # and the 通称's; each is copied by later changes like every item, so the history keeps them.
    kana_confirmed = models.BooleanField("氏名フリガナ確認", default=False)
    former_surname_kana_confirmed = models.BooleanField("旧氏フリガナ確認", default=False)
    alias_kana_confirmed = models.BooleanField("通称フリガナ確認", default=False)
    former_surname = models.CharField("旧氏", max_length=100, blank=True)
    former_surname_kana = models.CharField("旧氏フリガナ", max_length=100, blank=True)
    alias = models.CharField("通称", max_length=100, blank=True)
    alias_kana = models.CharField("通称フリガナ", max_length=100, blank=True)
    birth_date = models.JSONField("生年月日")
    birth_sort_date = models.DateField("生年月日（並べ替え用）")
    sex = models.CharField("性別", max_length=10)

    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="snapshots")
    is_head = models.BooleanField("世帯主", default=False)
    relationship = models.CharField("続柄", max_length=40)
    member_order = models.PositiveSmallIntegerField("並び順")
    # 事実上の世帯主 (standard 4.1.4.3-a; records.md §6.4): the name of a person who heads the household
    # in fact but is not on the registry (e.g. a member of foreign forces, or a facility's director),
    # written as a type-C remark (備考). Household data: copied onto every member's row, "" if none.
    de_facto_head = models.CharField("事実上の世帯主", max_length=100, blank=True, default="")
    # 続柄を証する書類 (standard 1.1.11-c): {"kind", "reference"} of the document a clerk saw for a
    # foreign resident's kinship 続柄 (jumin.domain.relationship_proof); None when none is held.
    relationship_proof = models.JSONField("続柄を証する書類", null=True, blank=True, default=None)

    postal_code = models.CharField("郵便番号", max_length=7, blank=True)
    address_code = models.CharField("住所コード", max_length=11, blank=True)
    address = models.CharField("住所", max_length=200)
    katagaki = models.CharField("方書", max_length=200, blank=True)
    previous_address = models.CharField("転入前住所", max_length=200, blank=True)
    # Codes of the 転入前住所 (standard 1.1.17-a; registry.address_codes): typed, or looked up in the
    # address dictionary; the flag when a domestic address's postal code was not found there.
    previous_address_postal_code = models.CharField(
        "転入前住所 郵便番号", max_length=7, blank=True, default=""
    )
    previous_address_code = models.CharField("転入前住所 住所コード", max_length=11, blank=True, default="")
    previous_address_postal_unknown = models.BooleanField("転入前住所 郵便番号 辞書になし", default=False)
    # 異動前住所 (records.md §6.5; system.md F04 step 2): the address before the latest 転居 within the
    # municipality, with its 方書 and 郵便番号. Set by a 転居, copied by every later change.
    pre_move_postal_code = models.CharField("異動前郵便番号", max_length=7, blank=True)
    pre_move_address = models.CharField("異動前住所", max_length=200, blank=True)
    pre_move_katagaki = models.CharField("異動前方書", max_length=200, blank=True)
    # 未届転入 (standard 4.1.1.4-a): previous_address then reads 「転入未届地（未届）」; the unreported
    # address, since when (if known) and the last registered address (転出証明書) are kept as data.
    unreported_address = models.CharField("転入未届地", max_length=200, blank=True, default="")
    unreported_moved_on = models.DateField("転入未届地に住み始めた日", null=True, blank=True)
    last_registered_address = models.CharField("最終住民登録地", max_length=200, blank=True, default="")
    # 転出地 市町村コード of a 国内転入 (the 転出証明書's municipality; for a 未届転入 the last registered
    # one): where the commit's 転入通知 goes (住基法9条1項; docs/jukinet.md Flow 7). Blank when unknown.
    previous_municipality_code = models.CharField("転出地 市町村コード", max_length=6, blank=True, default="")
    # Whether this row's commit owes the 転出地 a 転入通知 through the CS (an ordinary 国内転入 of a person
    # entered with a 住民票コード; a 特例転入 sends its own). Set on the 転入's draft only.
    move_in_notice_due = models.BooleanField("転入通知の送信対象", default=False)

    became_resident_date = models.JSONField("住民となった年月日")
    became_resident_reason = models.CharField("住民となった事由", max_length=20)
    address_set_date = models.JSONField("住所を定めた年月日")

    honseki = models.CharField("本籍", max_length=200, blank=True)
    hittousha = models.CharField("筆頭者", max_length=100, blank=True)
    foreign = models.JSONField("外国人住民の記載事項", null=True, blank=True)
    # 旧外登法登録年月日 (standard 1.1.2-a, 1.1.8-c): the date as entered (recorded_dates JSON, 不詳 allowed);
    # None when the person was never registered under the former Alien Registration Act or it is not held.
    former_alien_registration_date = models.JSONField("旧外登法登録年月日", null=True, blank=True)
    # Indexed: a 転入 looks up returning residents by this code (standard 4.1.1.2).
    juminhyo_code = models.CharField("住民票コード", max_length=11, blank=True, db_index=True)
    # 住民票コードの変更 (CS items 24–25, system.md F22): the code before the latest change and the day
    # the current code came into use; later rows copy both, so every CS update carries them.
    former_juminhyo_code = models.CharField("旧住民票コード", max_length=11, blank=True)
    juminhyo_code_used_on = models.DateField("住民票コード使用年月日", null=True, blank=True)
    # Encrypted at rest with a blind index (spec architecture.md §4); read only via get_individual_number().
    individual_number = IndividualNumberField(purpose="registry.resident", null=True, blank=True)

    # 転出先 (予定): kept as entered; the confirmed destination from the 転入通知 never overwrites it
    # (records.md §6.5, algorithms.md G.1).
    planned_destination = models.CharField("転出先（予定）", max_length=200, blank=True)
    # 転入予定地 市町村コード: where a 特例転出's 転出証明書情報 is sent (system.md F03 step 3b).
    planned_destination_code = models.CharField(
        "転入予定地 市町村コード", max_length=6, blank=True, default=""
    )
    # Codes of the 転出先（予定） (standard 1.1.1-d, 1.1.17-a), as for the 転入前住所 above.
    planned_destination_postal_code = models.CharField(
        "転出先（予定）郵便番号", max_length=7, blank=True, default=""
    )
    planned_destination_address_code = models.CharField(
        "転出先（予定）住所コード", max_length=11, blank=True, default=""
    )
    planned_destination_postal_unknown = models.BooleanField(
        "転出先（予定）郵便番号 辞書になし", default=False
    )
    # 特例転出サイン / 特例転入サイン (records.md, T96–97): the move used the card-based procedure.
    special_move_out = models.BooleanField("特例転出サイン", default=False)
    special_move_in = models.BooleanField("特例転入サイン", default=False)
    removal_reason = models.CharField("消除事由", max_length=20, blank=True)
    removal_date = models.DateField("消除日", null=True, blank=True)
    # The event date as entered (a 死亡日 「令和2年5月頃」, standard 1.1.8-a); removal_date is its sort date.
    removal_event_date = models.JSONField("事由発生日（入力のとおり）", null=True, blank=True)
    # 転出確定 from the 転入通知 (standard 4.1.3.1.1-a; records.md §6.5): stored beside the 予定 values.
    confirmed_destination = models.CharField("転出先（確定）", max_length=200, blank=True)
    # Looked up from the address dictionary when a 転入通知 is taken in (standard 4.1.3.1.2-a); blank
    # with the flag set when the dictionary does not give exactly one code (a clerk fills it in).
    confirmed_destination_postal_code = models.CharField("転出先（確定）郵便番号", max_length=7, blank=True)
    confirmed_destination_postal_unknown = models.BooleanField(
        "転出先（確定）郵便番号 辞書になし", default=False
    )
    confirmed_destination_address_code = models.CharField(
        "転出先（確定）住所コード", max_length=11, blank=True, default=""
    )
    confirmed_move_out_date = models.DateField("転出確定日", null=True, blank=True)
    move_in_notice_date = models.DateField("転出確定通知日（転入通知の日）", null=True, blank=True)
    confirmed_notification_kind = models.CharField("転出確定届出区分", max_length=10, blank=True)
    programs = models.JSONField("資格（国保・年金等）", default=dict, blank=True)

    class Meta:
        verbose_name = "住民票履歴"
        verbose_name_plural = "住民票履歴"
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["resident", "history_no"], name="registry_snapshot_history_key"),
        ]
        indexes: ClassVar = [
            models.Index(fields=["household", "history_no"], name="registry_snapshot_hh_idx")
        ]

    def __str__(self) -> str:
        return f"宛名番号 {self.resident_id} 履歴 {self.history_no or '仮'}"


class SearchKeyKind(models.TextChoices):
    """Which name of a person a search-key row stands for (standard 2.1.3-a: 氏名, 旧氏, 通称)."""

    NAME = "name", "氏名"
    FORMER_SURNAME = "former_surname", "旧氏"
    ALIAS = "alias", "通称"


#: The kana search indexes (ResidentSearchKey.Meta): the kana key, then what every search filters on
#: (status, current address) and returns (the resident), so that the index answers without the table.
_KANA_KEY_COLUMNS = ("full_key", "status", "is_current_address", "resident")
_KANA_KEY_OPCLASSES = ["varchar_pattern_ops", "varchar_ops", "bool_ops", "int8_ops"]


class ResidentSearchKey(models.Model):
    """Derived search keys of one committed, current person (standard 2.1.2-b/c/d, 2.1.3-a/c/d).

    Not history: the rows of a person are deleted and rewritten whenever a change of theirs is
    committed, and only ever point at the person's current committed snapshot, so a draft (仮登録)
    can never be found. One row per distinct name: the current 氏名 (always present, even with
    empty keys), the current 旧氏 and 通称, and every earlier 氏名/旧氏/通称 from the person's history
    (``is_current_name`` False, 2.1.3-d). Every row repeats the person's current birth date, sex,
    address and status so that combined searches stay on one table. Keys follow algorithms.md C.1
    (kana, ``KANA_KEY_VERSION``) and C.2 (variant kanji, ``variant_key_version()``); a change of
    either rule requires rebuilding this table. Past addresses from history get extra rows of the
    current 氏名 with ``is_current_address`` False (2.1.3-d; docs/search.md).
    """

    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="search_keys")
    # Indexed: SQLite checks this foreign key on every snapshot insert and delete; unindexed, a
    # bulk load becomes quadratic (measured: 475 µs per row at 11,000 rows, 28 µs with the index).
    snapshot = models.ForeignKey(ResidentSnapshot, on_delete=models.CASCADE, related_name="+")
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField("名前の種類", max_length=16, choices=SearchKeyKind.choices)
    is_current_name = models.BooleanField("現在の名前", default=True)
    # No single-column index: registry_skey_kana_idx starts with it (the prefix and equality shapes).
    full_key = models.CharField("フリガナ検索キー（氏名）", max_length=200)
    surname_key = models.CharField("フリガナ検索キー（氏）", max_length=100)
    given_key = models.CharField("フリガナ検索キー（名）", max_length=100)
    # Indexed by registry_skey_variant_idx (covering, like the kana one).
    variant_key = models.CharField("異体字検索キー（氏名）", max_length=200)
    variant_surname_key = models.CharField("異体字検索キー（氏）", max_length=100)
    variant_given_key = models.CharField("異体字検索キー（名）", max_length=100)
    birth_sort_date = models.DateField("生年月日（並べ替え用）")
    sex = models.CharField("性別", max_length=10)
    address_code = models.CharField("住所コード", max_length=11)
    address = models.CharField("住所", max_length=200)
    status = models.CharField("住民状態", max_length=20)
    juminhyo_code = models.CharField("住民票コード", max_length=11)
    # Issue 5 criteria (docs/search.md): current items repeated on every row, like sex and status.
    is_current_address = models.BooleanField("現在の住所", default=True)
    katagaki = models.CharField("方書", max_length=200, default="")
    relationship = models.CharField("続柄", max_length=40, default="")
    kana_confirmed = models.BooleanField("フリガナ確認", default=False)
    removal_reason = models.CharField("消除事由", max_length=20, default="")
    residence_card_number = models.CharField("在留カード番号", max_length=12, default="")
    special_permanent_resident_number = models.CharField("特別永住者証明書番号", max_length=12, default="")

    class Meta:
        verbose_name = "検索キー"
        verbose_name_plural = "検索キー"
        # Four covering indexes, one per search shape (kana name [+ birth day]; kanji name [+ birth
        # day]; birth period + name; address code + name): each also holds what search_residents
        # always filters on (status, current address) and returns (the resident), so the id query
        # never reads the table (P2; docs/search.md "Indexes"). PostgreSQL needs the pattern
        # operator class for LIKE 'prefix%' (it answers equality too).
        indexes: ClassVar = [
            models.Index(
                fields=[_KANA_KEY_COLUMNS[0], "birth_sort_date", *_KANA_KEY_COLUMNS[1:]],
                name="registry_skey_kana_idx",
                opclasses=[_KANA_KEY_OPCLASSES[0], "date_ops", *_KANA_KEY_OPCLASSES[1:]],
            ),
            models.Index(
                fields=["variant_key", "birth_sort_date", *_KANA_KEY_COLUMNS[1:]],
                name="registry_skey_variant_idx",
                opclasses=[_KANA_KEY_OPCLASSES[0], "date_ops", *_KANA_KEY_OPCLASSES[1:]],
            ),
            models.Index(fields=["surname_key", "given_key"], name="registry_skey_surname_idx"),
            models.Index(fields=["given_key"], name="registry_skey_given_idx"),
            models.Index(
                fields=["birth_sort_date", *_KANA_KEY_COLUMNS],
                name="registry_skey_birth_kana_idx",
                opclasses=["date_ops", *_KANA_KEY_OPCLASSES],
            ),
            models.Index(
                fields=["address_code", *_KANA_KEY_COLUMNS],
                name="registry_skey_addr_kana_idx",
                opclasses=["varchar_ops", *_KANA_KEY_OPCLASSES],
            ),
            models.Index(fields=["juminhyo_code"], name="registry_skey_code_idx"),
            models.Index(fields=["residence_card_number"], name="registry_skey_card_idx"),
            models.Index(fields=["special_permanent_resident_number"], name="registry_skey_spr_idx"),
        ]

    def __str__(self) -> str:
        return f"検索キー {self.pk}"


class SearchHistoryEntry(models.Model):
    """One search a clerk ran, kept for replay (standard 2.1.1-a; docs/search.md "History").

    The conditions are personal data (names, dates): they are sealed with the node's data key and
    bound to the clerk (``jumin.registry.search_history``), and only that clerk can open them.
    ``condition_kinds`` repeats the audit summary (kinds of condition, never values).
    """

    # Indexed by (user, created_at) below, which also serves lookups by user: one index less to write
    # per search (P2).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    created_at = models.DateTimeField("検索日時")
    condition_kinds = models.CharField("条件の種類", max_length=300)
    result_count = models.PositiveIntegerField("該当件数")
    sealed_criteria = models.TextField("検索条件（暗号化）")

    class Meta:
        verbose_name = "検索履歴"
        verbose_name_plural = "検索履歴"
        indexes: ClassVar = [models.Index(fields=["user", "created_at"], name="registry_search_hist_idx")]

    def __str__(self) -> str:
        return f"検索履歴 {self.pk}"


# The 戸籍附票記載事項通知 of commits (jumin.registry.fuhyo_notices), メモ (standard 1.1.15-a,
# append-only), 除票の誤記訂正 (1.1.5-c), 抑止 and 支援措置 live in modules of their own; imported
# here so Django registers them.
from jumin.registry.models_fuhyo import FuhyoNoticeOutbox  # noqa: E402, F401
from jumin.registry.models_memo import ResidentMemo, ResidentMemoVersion  # noqa: E402, F401
from jumin.registry.models_notes import PresetNote, ResidentRemark  # noqa: E402, F401
from jumin.registry.models_removed_notes import RemovedRecordNote  # noqa: E402, F401
from jumin.registry.models_restrictions import (  # noqa: E402, F401
    SupportMeasure,
    SupportMeasurePeriod,
    SupportMeasurePerson,
    SupportRoleSwitch,
    Suppression,
    TemporaryRelease,
)

# Edit locks (standard 10.3-d) and the outbox of committed changes; imported here so Django
# registers them with this app (jumin.registry.locks, jumin.registry.outbox).
from jumin.registry.models_review import RegistryEvent, ResidentLock  # noqa: E402, F401
from jumin.registry.models_support import SupportForwarding, SupportPerpetrator  # noqa: E402, F401


class ProgramRecord(models.Model):
    """One entry of a person's program eligibility history (records.md §6.10; standard 7.2.2-a).

    Owned by the program departments, not a 異動: rows are appended by ``jumin.registry.programs`` and
    never changed; a person's current state of a program is their latest row for it.
    ``details`` holds the program's own items (基礎年金番号 and 種別, 児童手当 months).
    """

    resident = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="program_records")
    program = models.CharField("制度", max_length=40)
    enrolled = models.BooleanField("資格・登録の有無")
    acquired_on = models.DateField("資格取得日（登録日）", null=True, blank=True)
    lost_on = models.DateField("資格喪失日（抹消日）", null=True, blank=True)
    details = models.JSONField("制度ごとの項目", default=dict, blank=True)
    reason = models.CharField("事由", max_length=200, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField("記録日時")
    # Set when the value came from the program's own system (registry/program_link.py, std 7.2.1-a).
    received_in = models.ForeignKey(
        "registry.ProgramLinkFile",
        verbose_name="受信ファイル",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="records",
    )

    class Meta:
        verbose_name = "資格履歴"
        verbose_name_plural = "資格履歴"
        indexes: ClassVar = [
            models.Index(fields=["resident", "program", "recorded_at"], name="registry_program_idx")
        ]

    def __str__(self) -> str:
        return f"資格履歴 {self.pk}"


class CardEvent(models.Model):
    """One thing the municipality did or learnt about a person's card (records.md §6.11 カード種別 /
    カード運用状況): the 個人番号カード or the 住基カード (住民基本台帳カード).

    Appended by ``jumin.registry.cards``, never changed; each card's status is that of its latest event.
    """

    resident = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="card_events")
    card_kind = models.CharField("カード種別", max_length=20, default="individual_number")
    event = models.CharField("カード運用状況", max_length=20)
    event_date = models.DateField("発生日")
    expiry_date = models.DateField("カード有効期限", null=True, blank=True)
    remarks = models.CharField("備考", max_length=200, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField("記録日時")

    class Meta:
        verbose_name = "カード履歴"
        verbose_name_plural = "カード履歴"
        indexes: ClassVar = [models.Index(fields=["resident", "recorded_at"], name="registry_card_idx")]

    def __str__(self) -> str:
        return f"カード履歴 {self.pk}"


class DailyBatchRun(models.Model):
    """The result record of one daily registry batch (standard 9.1-d); one per business day."""

    run_date = models.DateField("処理日", unique=True)
    started_at = models.DateTimeField("開始日時")
    finished_at = models.DateTimeField("終了日時")
    overdue_count = models.PositiveIntegerField("転入通知未着の転出予定者数")
    removed_count = models.PositiveIntegerField("除票とした転出予定者数")
    change_id = models.IntegerField("状態更新の異動", null=True, blank=True)

    class Meta:
        verbose_name = "日次バッチ実行記録"
        verbose_name_plural = "日次バッチ実行記録"

    def __str__(self) -> str:
        return f"日次バッチ {self.run_date}"


# The 除票データベース (standard 1.1.5-e, 9.3-a; jumin.registry.removed_archive), 居所 as the
# 送付先 of the 個人番号 notices (std 7.1.1.4-a) and the exchange with 出入国在留管理庁 (法30条の50
# in, 市町村通知 out); imported here so Django finds them.
from jumin.registry.models_card_serials import CardCertificateSerial  # noqa: E402, F401
from jumin.registry.models_e_application import (  # noqa: E402, F401
    ElectronicApplication,
    ElectronicApplicationDecision,
    MoveInPlan,
    MoveInPlanPerson,
)
from jumin.registry.models_euc import EucDefinition, EucRun  # noqa: E402, F401
from jumin.registry.models_immigration import MunicipalityNotice, ReceivedImmigrationNotice  # noqa: E402, F401
from jumin.registry.models_imported_items import ImportedItem  # noqa: E402, F401
from jumin.registry.models_jpki import CertificateRevocationRequest, JpkiRevocationList  # noqa: E402, F401
from jumin.registry.models_program_link import (  # noqa: E402, F401
    ProgramLinkFile,
    ProgramLinkRefusal,
    ResidentDataExport,
)
from jumin.registry.models_removed_archive import (  # noqa: E402, F401
    ArchivedSearchKey,
    ArchivedSnapshot,
    RemovedArchiveEntry,
)
from jumin.registry.models_sending_place import SendingPlace  # noqa: E402, F401

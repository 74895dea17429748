"""Tables of the 市町村CS (docs/jukinet.md): the 本人確認情報 file and what the CS sends and receives.

* ``CsIdentityVersion``: every state of a person's 40-item CS record (records.md §1), append-only;
  the pre-update state is never overwritten (kept 150 years, controls.md C-70).
* ``CsIdentity``: one row per 住民票コード pointing at the current version, with the few columns that
  search and 整合性確認 read (stored digest, 清音化かな, birth date), so neither joins the history.
* ``PendingNotice``: a notifiable update not yet queued for the prefecture (送信待ち).
* ``UpdateRejection``: an update the prefecture refused (返却エラー), for the clerks to fix (F08).
* ``UnlinkedUpdate``: a registry update the CS could not take (CS未連携): no 住民票コード, or refused.
* ``CardPinState``: wrong-PIN counter and lock of a simulated 個人番号カード, per card serial.
* ``ConsistencyRun`` / ``ConsistencyDifference``: 整合性確認 runs and their differences.
* ``WideAreaIssuance``: a 広域交付 this CS printed for another municipality's resident (issuance
  record only, never the 住民票 content), append-only.
* ``SentCertificate`` / ``HeldCertificate`` / ``CertificateRequest`` / ``ReceivedMoveInNotice``: 特例転入
  between two CS (docs/jukinet.md Flow 7).
* ``ExchangePerson``: the CS's internal id of each person it exchanged data about, by 住民票コード:
  the audit subject of the person's exchanges (本人確認情報の提供状況, issue 8 item 7).
* ``CsFuhyoVersion`` / ``CsFuhyo``: the CS 附票ファイル, the 附票本人確認情報 the 戸籍附票 system handed to
  this CS (18 items, insert-only history + current row; docs/jukinet.md Flow 9).
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models

from jumin.crypto.fields import IndividualNumberField, IndividualNumberIndexField
from jumin.crypto.models import HasIndividualNumber
from jumin.jukinet.common.consistency import ConsistencyFile


class RecordStatus(models.TextChoices):
    """レコード状況フラグ (CS item 35)."""

    CURRENT = "current", "現存"
    REMOVED = "removed", "消除"


class CsIdentityVersion(HasIndividualNumber):
    """One state of a person's CS record: the 40 items of records.md §1 plus bookkeeping."""

    resident_code = models.CharField("住民票コード", max_length=11)  # 1
    name = models.CharField("漢字氏名", max_length=200)  # 2
    name_gaiji_count = models.PositiveSmallIntegerField("外字数(氏名)", default=0)  # 3
    name_kana = models.CharField("ふりがな氏名", max_length=200, blank=True)  # 4
    name_kana_seion = models.CharField("清音化かな氏名", max_length=200, blank=True)  # 5
    birth_date = models.CharField("生年月日", max_length=8)  # 6, YYYYMMDD with 00 for unknown parts
    sex = models.CharField("性別", max_length=6)  # 7
    municipality_code = models.CharField("市町村コード", max_length=6)  # 8
    aza_code = models.CharField("大字・字コード", max_length=12, blank=True)  # 9
    postal_code = models.CharField("郵便番号", max_length=7, blank=True)  # 10
    address = models.CharField("住所", max_length=200)  # 11
    address_gaiji_count = models.PositiveSmallIntegerField("外字数(住所)", default=0)  # 12
    individual_number = IndividualNumberField(purpose="jukinet.cs", null=True, blank=True)  # 13
    became_resident_date = models.CharField("住民となった日", max_length=10, blank=True)  # 14
    address_set_date = models.CharField("住所を定めた日", max_length=10, blank=True)  # 15
    notification_date = models.CharField("届出の年月日", max_length=10, blank=True)  # 16
    previous_municipality_code = models.CharField("市町村コード(転入前)", max_length=6, blank=True)  # 17
    previous_address = models.CharField("転入前住所", max_length=200, blank=True)  # 18
    previous_address_gaiji_count = models.PositiveSmallIntegerField("外字数(転入前住所)", default=0)  # 19
    relationship = models.CharField("続柄", max_length=40, blank=True)  # 20
    change_reason = models.CharField("異動事由", max_length=20)  # 21 (CS code: CS-only reasons too)
    change_date = models.CharField("異動年月日", max_length=10)  # 22
    change_reason_detail = models.CharField("異動事由詳細", max_length=40, blank=True)  # 23
    former_resident_code = models.CharField("旧住民票コード", max_length=11, blank=True)  # 24
    code_in_use_date = models.CharField("住民票コード使用年月日", max_length=10, blank=True)  # 25
    request_number = models.CharField("依頼管理番号", max_length=64)  # 26
    operator_id = models.CharField("操作者ID", max_length=64)  # 27
    terminal_id = models.CharField("操作端末ID", max_length=64)  # 28
    update_seq = models.PositiveIntegerField("更新順番号")  # 29
    error_update_seq = models.PositiveIntegerField("異常時更新順番号", default=0)  # 30
    update_prohibited = models.BooleanField("更新禁止フラグ", default=False)  # 31
    prospective = models.BooleanField("予定者フラグ", default=False)  # 32
    exclusive = models.BooleanField("排他フラグ", default=False)  # 33
    gaiji_flag = models.BooleanField("外字フラグ", default=False)  # 34
    record_status = models.CharField("レコード状況フラグ", max_length=10, choices=RecordStatus.choices)  # 35
    timestamp = models.CharField("タイムスタンプ", max_length=32)  # 36, UTC ISO 8601 with Z
    former_surname = models.CharField("旧氏 漢字", max_length=100, blank=True)  # 37
    former_surname_gaiji_count = models.PositiveSmallIntegerField("旧氏 外字数", default=0)  # 38
    former_surname_kana = models.CharField("旧氏 ふりがな", max_length=100, blank=True)  # 39
    former_surname_gaiji_seq = models.PositiveIntegerField("旧氏 外字変更連番", default=0)  # 40

    notifiable = models.BooleanField("本人確認情報の通知対象", default=True)
    # The 異動事由 the notice carried when the CS code is a CS-only one (NoticeReason value), else "".
    notice_reason = models.CharField("通知した異動事由", max_length=20, blank=True)
    digest = models.CharField("整合性確認用ダイジェスト", max_length=22)
    # 150-year retention of history and removed persons (C-70): the purge deletes rows past this day.
    retain_until = models.DateField("保存期限")
    created_at = models.DateTimeField("記録日時")

    class Meta:
        verbose_name = "本人確認情報（CS履歴）"
        verbose_name_plural = "本人確認情報（CS履歴）"
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["resident_code", "update_seq"], name="jukinet_cs_version_seq"),
        ]

    def __str__(self) -> str:
        return f"CS本人確認情報 {self.pk}"


class CsIdentity(models.Model):
    """The current CS record of one 住民票コード (search and 整合性確認 columns repeated here)."""

    resident_code = models.CharField("住民票コード", max_length=11, unique=True)
    current = models.OneToOneField(CsIdentityVersion, on_delete=models.PROTECT, related_name="current_of")
    update_seq = models.PositiveIntegerField("更新順番号")
    removed = models.BooleanField("消除", default=False)
    municipality_code = models.CharField("市町村コード", max_length=6)
    digest = models.CharField("整合性確認用ダイジェスト", max_length=22)
    # Digest of the notice items only (8 items, reading, 旧氏, removed): equal → not notifiable.
    items_digest = models.CharField("通知項目ダイジェスト", max_length=22)
    name = models.CharField("漢字氏名", max_length=200)
    name_kana_seion = models.CharField("清音化かな氏名", max_length=200, blank=True)
    birth_date = models.CharField("生年月日", max_length=8)
    sex = models.CharField("性別", max_length=6)
    address = models.CharField("住所", max_length=200)
    individual_number_index = IndividualNumberIndexField(null=True, blank=True)
    # An earlier notice still waits (送信待ち): later ones queue behind it to keep the order.
    has_pending = models.BooleanField("送信待ちあり", default=False)

    class Meta:
        verbose_name = "本人確認情報（CS現存）"
        verbose_name_plural = "本人確認情報（CS現存）"
        indexes: ClassVar = [
            # 整合性確認 streams (resident_code, digest) of current residents in code order.
            models.Index(
                fields=["municipality_code", "removed", "resident_code"], name="jukinet_cs_consist_idx"
            ),
            models.Index(fields=["name_kana_seion"], name="jukinet_cs_seion_idx"),
            models.Index(fields=["birth_date"], name="jukinet_cs_birth_idx"),
        ]

    def __str__(self) -> str:
        return f"CS本人確認情報 {self.pk}"

    @property
    def subject_key(self) -> str:
        """The opaque message subject of this person's notices (never personal data)."""
        return f"cs-{self.pk}"


class PendingNotice(models.Model):
    """A notifiable update waiting to be queued for the prefecture (送信待ち), oldest first."""

    identity = models.ForeignKey(CsIdentity, on_delete=models.PROTECT, related_name="pending_notices")
    version = models.OneToOneField(CsIdentityVersion, on_delete=models.PROTECT, related_name="pending")
    created_at = models.DateTimeField("発生日時")
    sent_at = models.DateTimeField("送信日時", null=True, blank=True)
    message_id = models.CharField("メッセージID", max_length=36, blank=True)

    class Meta:
        verbose_name = "送信待ち本人確認情報"
        verbose_name_plural = "送信待ち本人確認情報"
        indexes: ClassVar = [models.Index(fields=["sent_at", "id"], name="jukinet_cs_pending_idx")]

    def __str__(self) -> str:
        return f"送信待ち {self.pk}"


class CsFuhyoVersion(models.Model):
    """One 附票本人確認情報 update handed to the CS (records.md §3), exactly as sent; never changed."""

    resident_code = models.CharField("住民票コード", max_length=11)
    notice_type = models.CharField("通知区分", max_length=6)
    # The 18 items plus 操作者ID / 操作端末ID, the payload of the jukinet.fuhyo_update sent.
    items = models.JSONField("附票本人確認情報")
    message_id = models.CharField("送信メッセージID", max_length=36)
    retain_until = models.DateField("保存期限")
    created_at = models.DateTimeField("記録日時")

    class Meta:
        verbose_name = "附票本人確認情報（CS履歴）"
        verbose_name_plural = "附票本人確認情報（CS履歴）"
        indexes: ClassVar = [models.Index(fields=["resident_code", "id"], name="jukinet_cs_fuhyo_hist_idx")]

    def __str__(self) -> str:
        return f"CS附票本人確認情報 {self.pk}"


class CsFuhyo(models.Model):
    """The current 附票本人確認情報 of one 住民票コード at this CS (its latest version)."""

    resident_code = models.CharField("住民票コード", max_length=11, unique=True)
    current = models.OneToOneField(CsFuhyoVersion, on_delete=models.PROTECT, related_name="current_of")
    state = models.CharField("附票本人確認情報状態区分", max_length=10)
    fuhyo_municipality_code = models.CharField("附票管理市町村コード", max_length=6)
    updated_at = models.DateTimeField("更新日時")

    class Meta:
        verbose_name = "附票本人確認情報（CS現存）"
        verbose_name_plural = "附票本人確認情報（CS現存）"

    def __str__(self) -> str:
        return f"CS附票本人確認情報 {self.pk}"

    @property
    def subject_key(self) -> str:
        """The opaque message subject of this person's 附票 updates (``cs-fh<pk>``, never personal data)."""
        return f"cs-fh{self.pk}"


class UpdateRejection(models.Model):
    """An IDENTITY_UPDATE or FUHYO_UPDATE refused by the prefecture or the national node (返却エラー);
    resolved by an amendment (F08) or a corrected 附票 update."""

    message_id = models.CharField("受信メッセージID", max_length=36, unique=True)
    rejected_message_id = models.CharField("拒否されたメッセージID", max_length=36)
    identity = models.ForeignKey(
        CsIdentity, null=True, blank=True, on_delete=models.PROTECT, related_name="rejections"
    )
    # Set instead of ``identity`` when the refused message was a 附票本人確認情報 update (Flow 9).
    fuhyo = models.ForeignKey(
        CsFuhyo, null=True, blank=True, on_delete=models.PROTECT, related_name="rejections"
    )
    update_seq = models.PositiveIntegerField("更新順番号")
    code = models.CharField("拒否コード", max_length=64)
    reason = models.CharField("理由", max_length=400)
    remedy = models.CharField("対処", max_length=400, blank=True)
    received_at = models.DateTimeField("受信日時")
    resolved_at = models.DateTimeField("解決日時", null=True, blank=True)

    class Meta:
        verbose_name = "返却エラー"
        verbose_name_plural = "返却エラー"

    def __str__(self) -> str:
        return f"返却エラー {self.pk}"


class UnlinkedUpdate(models.Model):
    """A registry update that did not reach the CS file (CS未連携); identifiers and a reason code only."""

    request_number = models.CharField("依頼管理番号", max_length=64)
    reason_code = models.CharField("理由コード", max_length=64)
    field = models.CharField("項目", max_length=64, blank=True)
    created_at = models.DateTimeField("発生日時")

    class Meta:
        verbose_name = "CS未連携"
        verbose_name_plural = "CS未連携"

    def __str__(self) -> str:
        return f"CS未連携 {self.pk}"


class CardPinState(models.Model):
    """Consecutive wrong PINs of one card at this CS; three lock it (and suspend it nationally)."""

    card_serial = models.CharField("カードシリアル番号", max_length=12, unique=True)
    wrong_pins = models.PositiveSmallIntegerField("連続誤り回数", default=0)
    locked_at = models.DateTimeField("ロック日時", null=True, blank=True)

    class Meta:
        verbose_name = "暗証番号照合状態"
        verbose_name_plural = "暗証番号照合状態"

    def __str__(self) -> str:
        return f"暗証番号照合状態 {self.pk}"


class ConsistencyRun(models.Model):
    """One 整合性確認 of the CS file against a prefecture or the national node."""

    run_id = models.CharField("実行ID", max_length=36, unique=True)
    target = models.CharField("相手", max_length=20)  # "prefecture:420000" / "national:00"
    # common.consistency.ConsistencyFile: the 本人確認情報 file or the 附票 file (prefecture only).
    file = models.CharField(
        "対象ファイル",
        max_length=10,
        choices=[(f.value, f.label) for f in ConsistencyFile],
        default=ConsistencyFile.IDENTITY.value,
    )
    municipality_code = models.CharField("市町村コード", max_length=6)
    started_at = models.DateTimeField("開始日時")
    finished_at = models.DateTimeField("終了日時", null=True, blank=True)
    records = models.PositiveIntegerField("送信件数", default=0)
    chunks = models.PositiveIntegerField("分割数", default=0)
    differences = models.PositiveIntegerField("差異件数", default=0)
    status = models.CharField("状態", max_length=10, default="running")  # running / done / failed
    error = models.CharField("エラー", max_length=400, blank=True)

    class Meta:
        verbose_name = "整合性確認"
        verbose_name_plural = "整合性確認"

    def __str__(self) -> str:
        return f"整合性確認 {self.run_id}"


class DifferenceKind(models.TextChoices):
    """How a record differs: only at the CS, only at the other node, or with other contents."""

    MISSING = "missing", "相手に無い"
    EXTRA = "extra", "相手にだけ有る"
    DIFFERENT = "different", "内容が異なる"


class ConsistencyDifference(models.Model):
    """One 住民票コード that differs in a 整合性確認 run (worklist, C-68)."""

    run = models.ForeignKey(ConsistencyRun, on_delete=models.CASCADE, related_name="difference_rows")
    resident_code = models.CharField("住民票コード", max_length=11)
    kind = models.CharField("差異", max_length=10, choices=DifferenceKind.choices)

    class Meta:
        verbose_name = "整合性確認の差異"
        verbose_name_plural = "整合性確認の差異"

    def __str__(self) -> str:
        return f"差異 {self.pk}"


class SendingAddressState(models.TextChoices):
    """Where one 送付先情報 stands (system.md F15)."""

    PENDING = "pending", "送信待ち"
    SENT = "sent", "送信済"
    LINKED = "linked", "連携済"
    REFUSED = "refused", "返却"


class SendingAddressSend(models.Model):
    """Send history of one 送付先情報 (std 7.1.1.4): kept after the record is deleted; no personal data."""

    control_number = models.CharField("送付先管理番号", max_length=32, unique=True)
    municipality_code = models.CharField("市町村コード", max_length=6)
    print_category = models.CharField("印刷区分", max_length=2)
    state = models.CharField("状態", max_length=10, choices=SendingAddressState.choices)
    stored_at = models.DateTimeField("格納日時")
    sent_at = models.DateTimeField("送信日時", null=True, blank=True)
    send_count = models.PositiveSmallIntegerField("送信回数", default=0)
    message_id = models.CharField("メッセージID", max_length=36, blank=True)
    linked_on = models.DateField("連携日", null=True, blank=True)
    result_code = models.CharField("返却コード", max_length=64, blank=True)
    result_reason = models.CharField("返却理由", max_length=400, blank=True)
    deleted_at = models.DateTimeField("削除日時", null=True, blank=True)

    class Meta:
        verbose_name = "送付先情報の送信履歴"
        verbose_name_plural = "送付先情報の送信履歴"
        indexes: ClassVar = [
            models.Index(fields=["state", "linked_on"], name="jukinet_cs_sending_state_idx"),
            models.Index(fields=["stored_at"], name="jukinet_cs_sending_stored_idx"),
        ]

    def __str__(self) -> str:
        return f"送付先情報送信履歴 {self.pk}"


class SendingAddressRecord(HasIndividualNumber):
    """One stored 送付先情報 (送付先情報ファイル): deleted 1 business day after linkage (F15 step 6).

    The 67 items are kept as the payload JSON without the 個人番号, which is stored encrypted.
    """

    individual_number = IndividualNumberField(purpose="jukinet.cs.sending_address", null=True, blank=True)
    send = models.OneToOneField(SendingAddressSend, on_delete=models.PROTECT, related_name="record")
    items = models.JSONField("送付先情報（個人番号を除く）")

    class Meta:
        verbose_name = "送付先情報"
        verbose_name_plural = "送付先情報"

    def __str__(self) -> str:
        return f"送付先情報 {self.pk}"


class WideAreaRecordDeletionRefused(Exception):  # noqa: N818 (a refusal, as AccessRefused)
    """広域交付 records are kept like the 交付履歴: never deleted (standard 1.3.8-b; C-45)."""


class _NoDeleteQuerySet(models.QuerySet[Any]):
    def delete(self) -> tuple[int, dict[str, int]]:
        raise WideAreaRecordDeletionRefused("広域交付の交付記録は削除できません。")


class WideAreaIssuance(models.Model):
    """One 広域交付 printed here (住基法12条の4; system.md F11b): the issuance record only.

    The 住民票 content stays with the registering municipality, which rendered, sealed, numbered and
    recorded the copy: this row names who asked, when, where, which municipality issued, its
    発行番号s, the document's SHA-256, the counts and the fee. No name, address or PDF is stored.
    ``kind`` is ``copy`` (住民票の写し) or ``removed_copy`` (除票の写し, 住基法15条の4; then
    ``registering_municipality`` is the former municipality the requester stated, where the 除票 is).
    """

    issued_at = models.DateTimeField("交付日時")
    issue_date = models.DateField("交付日")
    registering_municipality = models.CharField("住所地市区町村コード", max_length=6)
    kind = models.CharField("証明書の種類", max_length=20, default="copy")
    resident_code = models.CharField("請求者の住民票コード", max_length=11, db_index=True)
    # 個人番号カード, or the ID document checked with the 4情報 (then no card serial).
    identity_check = models.CharField("本人確認の方法", max_length=32, default="mynumber_card")
    card_serial = models.CharField("カードシリアル番号", max_length=12, blank=True)
    requester_relation = models.CharField("請求者区分", max_length=20)
    options = models.JSONField("請求の範囲と記載事項")
    subject_count = models.PositiveSmallIntegerField("記載人数")
    copies = models.PositiveSmallIntegerField("通数")
    sheets = models.PositiveIntegerField("枚数")
    fee = models.PositiveIntegerField("手数料（円）")
    copy_numbers = models.JSONField("発行番号（住所地市区町村が付番）")
    pdf_sha256 = models.CharField("証明書PDFのSHA-256", max_length=64)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    user_name = models.CharField("交付者", max_length=150)
    operator_id = models.CharField("操作者ID", max_length=64)
    terminal_id = models.CharField("操作端末ID", max_length=64)

    objects = _NoDeleteQuerySet.as_manager()

    class Meta:
        verbose_name = "広域交付の交付記録"
        verbose_name_plural = "広域交付の交付記録"

    def __str__(self) -> str:
        return f"広域交付 {self.pk}"

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise WideAreaRecordDeletionRefused("広域交付の交付記録は削除できません。")


# --- 特例転入 (system.md F02, F03 step 3b) ---------------------------------------------------------


class SentCertificate(HasIndividualNumber):
    """A 転出証明書情報 this CS sent as the 転出地 (特例転出): kept to answer a 送信依頼 until the
    転入通知 arrives; then its items and 個人番号 are erased and the row stays as the send history."""

    individual_number = IndividualNumberField(
        purpose="jukinet.cs.move_out_certificate", null=True, blank=True
    )
    control_number = models.CharField("管理番号", max_length=40, unique=True)
    resident_code = models.CharField("住民票コード", max_length=11, db_index=True)
    destination_code = models.CharField("転入予定地 市町村コード", max_length=6)
    items = models.JSONField("転出証明書情報（個人番号を除く）")
    planned_date = models.DateField("転出予定年月日")
    created_at = models.DateTimeField("作成日時")
    sent_at = models.DateTimeField("送信日時", null=True, blank=True)
    send_count = models.PositiveSmallIntegerField("送信回数", default=0)
    confirmed_at = models.DateTimeField("転入通知受信日時", null=True, blank=True)

    class Meta:
        verbose_name = "送信した転出証明書情報"
        verbose_name_plural = "送信した転出証明書情報"

    def __str__(self) -> str:
        return f"送信した転出証明書情報 {self.pk}"


class HeldCertificate(HasIndividualNumber):
    """A 転出証明書情報 received as the 転入予定地 (F02 steps 1–2): held until the 特例転入 uses it, or
    erased 30 days after the 転出予定年月日 (F02 timer). Rows are never deleted: erasing clears the
    items and the 個人番号 and records when and why."""

    class State(models.TextChoices):
        HELD = "held", "保管中"
        USED = "used", "転入済"
        ERASED = "erased", "消去済"

    individual_number = IndividualNumberField(
        purpose="jukinet.cs.move_out_certificate", null=True, blank=True
    )
    message_id = models.CharField("受信メッセージID", max_length=36, unique=True)
    control_number = models.CharField("管理番号", max_length=40)
    sender_code = models.CharField("転出地 市町村コード", max_length=6)
    resident_code = models.CharField("住民票コード", max_length=11, db_index=True)
    items = models.JSONField("転出証明書情報（個人番号を除く）")
    planned_date = models.DateField("転出予定年月日")
    erase_on = models.DateField("消去日", db_index=True)
    received_at = models.DateTimeField("受信日時")
    state = models.CharField("状態", max_length=6, choices=State.choices, default=State.HELD, db_index=True)
    card_serial = models.CharField("確認したカードのシリアル番号", max_length=12, blank=True)
    card_checked_at = models.DateTimeField("カード確認日時", null=True, blank=True)
    used_at = models.DateTimeField("転入日時", null=True, blank=True)
    erased_at = models.DateTimeField("消去日時", null=True, blank=True)
    erase_reason = models.CharField("消去理由", max_length=40, blank=True)
    notice_sent_at = models.DateTimeField("転入通知の送信日時", null=True, blank=True)
    continued_use_sent_at = models.DateTimeField("継続利用の送信日時", null=True, blank=True)

    class Meta:
        verbose_name = "受信した転出証明書情報"
        verbose_name_plural = "受信した転出証明書情報"

    def __str__(self) -> str:
        return f"受信した転出証明書情報 {self.pk}"


class CertificateRequest(models.Model):
    """A 送信依頼 this CS sent to a 転出地 (F02 step 3a) and how it was answered; no personal data
    besides the 住民票コード the request names."""

    class State(models.TextChoices):
        REQUESTED = "requested", "依頼中"
        RECEIVED = "received", "受信済"
        REFUSED = "refused", "回答（送信不可）"

    resident_code = models.CharField("住民票コード", max_length=11, db_index=True)
    sent_to = models.CharField("転出地 市町村コード", max_length=6)
    requested_at = models.DateTimeField("依頼日時")
    state = models.CharField("状態", max_length=10, choices=State.choices, default=State.REQUESTED)
    code = models.CharField("回答コード", max_length=64, blank=True)
    reason = models.CharField("理由", max_length=400, blank=True)
    remedy = models.CharField("対処", max_length=400, blank=True)
    answered_at = models.DateTimeField("回答日時", null=True, blank=True)

    class Meta:
        verbose_name = "転出証明書情報の送信依頼"
        verbose_name_plural = "転出証明書情報の送信依頼"

    def __str__(self) -> str:
        return f"送信依頼 {self.pk}"


class SentMoveInNotice(models.Model):
    """A 転入通知 this CS owes as the 転入地 of an ordinary (paper 転出証明書) 転入 (住基法9条1項; std
    7.1.1.1-e). Queued in the 転入's commit when the 転出地 is a peer; otherwise it waits (``sent_at``
    empty; ``destination_code`` empty when the clerk did not know it) until a clerk re-sends it from the
    統合端末. No 個人番号 (the message has none). Rows are never deleted: they are the send history."""

    resident_code = models.CharField("住民票コード", max_length=11, db_index=True)
    destination_code = models.CharField("転出地 市町村コード", max_length=6, blank=True)
    items = models.JSONField("転入通知")
    created_at = models.DateTimeField("作成日時")
    sent_at = models.DateTimeField("送信日時", null=True, blank=True, db_index=True)
    send_count = models.PositiveSmallIntegerField("送信回数", default=0)

    class Meta:
        verbose_name = "送信する転入通知"
        verbose_name_plural = "送信する転入通知"

    def __str__(self) -> str:
        return f"送信する転入通知 {self.pk}"


class ReceivedMoveInNotice(models.Model):
    """A 転入通知 received as the 転出地 (F03 step 7), waiting for the registry to take it in as a
    転出確定 (``registry.special_moves.import_move_in_notices``). No 個人番号 (the message has none)."""

    message_id = models.CharField("受信メッセージID", max_length=36, unique=True)
    sender_code = models.CharField("転入地 市町村コード", max_length=6)
    resident_code = models.CharField("住民票コード", max_length=11, db_index=True)
    items = models.JSONField("転入通知")
    received_at = models.DateTimeField("受信日時")
    imported_at = models.DateTimeField("取込日時", null=True, blank=True)
    change_id = models.PositiveIntegerField("転出確定の異動ID", null=True, blank=True)
    # The 取込エラー一覧 (std 4.1.3.1.2-a): why the last import attempt left it, and when.
    import_error = models.CharField("取込エラーの理由", max_length=300, blank=True)
    import_error_at = models.DateTimeField("取込エラー日時", null=True, blank=True)
    # A clerk's correction of a garbled or too long 転入先住所, used by the retry; ``items`` stay as received.
    corrected_address = models.CharField("訂正した転入先住所", max_length=200, blank=True)
    # 重複: the notice this one repeats (or the later one that supersedes it); it is never taken in.
    duplicate_of = models.PositiveIntegerField("重複先の転入通知", null=True, blank=True)

    class Meta:
        verbose_name = "受信した転入通知"
        verbose_name_plural = "受信した転入通知"

    def __str__(self) -> str:
        return f"受信した転入通知 {self.pk}"


class ReceivedFuhyoNotice(models.Model):
    """A 戸籍附票記載事項通知 received as the 本籍地 (住基法19条; Flow 13), kept for this municipality's
    戸籍附票 system (受信一覧, ``jumin cs fuhyo-notices``). Insert-only; no 個人番号 (none is sent)."""

    message_id = models.CharField("受信メッセージID", max_length=36, unique=True)
    sender_code = models.CharField("住所地 市町村コード", max_length=6)
    resident_code = models.CharField("住民票コード", max_length=11, db_index=True)
    items = models.JSONField("通知事項")
    received_at = models.DateTimeField("受信日時", db_index=True)

    class Meta:
        verbose_name = "受信した戸籍附票記載事項通知"
        verbose_name_plural = "受信した戸籍附票記載事項通知"

    def __str__(self) -> str:
        return f"受信した戸籍附票記載事項通知 {self.pk}"


class FuhyoNoticeProcessing(models.Model):
    """The 戸籍附票 side's 「処理済み」 of one received notice (std 7.1.1.1-e; the 受信一覧 screen).

    Insert-only, one row per notice: the notice itself is never changed, and a processed notice
    cannot be marked again (a mistake is written down in a later note, never overwritten)."""

    notice = models.OneToOneField(
        ReceivedFuhyoNotice, on_delete=models.PROTECT, related_name="processing", verbose_name="通知"
    )
    processed_at = models.DateTimeField("処理日時")
    processed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    note = models.CharField("処理内容", max_length=200, blank=True)

    class Meta:
        verbose_name = "戸籍附票記載事項通知の処理"
        verbose_name_plural = "戸籍附票記載事項通知の処理"

    def __str__(self) -> str:
        return f"戸籍附票記載事項通知の処理 {self.notice_id}"


# The card status rows (std 7.1.1.3-a) and the 抑止マーク table (standard 3.1-g) live in their own
# modules; imported here so Django finds them.
from jumin.jukinet.cs.models_cards import CertificateSerialFetch, CsCardStatusEvent  # noqa: E402, F401
from jumin.jukinet.cs.models_marks import CsRestrictionMark  # noqa: E402, F401


class ExchangePerson(models.Model):
    """One 住民票コード the CS exchanged data about, and the internal person id its exchanges are
    audited under (audit subject ``cs_person``; the code itself never enters the log).

    A 住民票コード change adds a row for the new code with the old code's ``person_id``: the person's
    exchanges stay one list, found by either code (a code is never reissued, so never reused).
    """

    resident_code = models.CharField("住民票コード", max_length=11, unique=True)
    person_id = models.PositiveBigIntegerField("内部個人ID", db_index=True, null=True)
    # Set once, when a 住民票コード change names this code's predecessor.
    former_resident_code = models.CharField("旧住民票コード", max_length=11, blank=True, db_index=True)
    created_at = models.DateTimeField("登録日時", auto_now_add=True)

    class Meta:
        verbose_name = "提供状況の対象者"
        verbose_name_plural = "提供状況の対象者"

    def __str__(self) -> str:
        return f"提供状況の対象者 {self.person_id}"


# 個人番号 requests and the manual-link mode (std 7.1.1.1-c); imported here so Django finds them.
# 外字 registered as 住基ネット統一文字 (std 7.1.1.1-e); imported here so Django finds them.
from jumin.jukinet.cs.models_characters import UnifiedCharacterRegistration  # noqa: E402, F401
from jumin.jukinet.cs.models_number_requests import ManualLinkPeriod, NumberRequest  # noqa: E402, F401

# The members and routing log of a shared CS (共同利用, std 7.1.1.1-b); imported here so Django finds them.
from jumin.jukinet.cs.models_shared import CsMember, RoutedTelegram  # noqa: E402, F401
from jumin.jukinet.cs.models_token_requests import TokenRequest  # noqa: E402, F401

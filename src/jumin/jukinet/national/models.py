"""Tables of the national node: 機構保存本人確認情報, the number registers, 個人番号カード管理 and the
附票全国サーバ (機構保存附票本人確認情報, 18 items, no 個人番号).

Names, addresses and the other notice items are kept as the notice's JSON (without the 個人番号);
the 個人番号 is only ever stored encrypted with a blind index (``HasIndividualNumber``). History rows
and events are append-only; only the 150-year purge deletes history (docs/jukinet-national.md).
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import models

from jumin.crypto.fields import IndividualNumberField
from jumin.crypto.models import HasIndividualNumber


class IdentityRecord(HasIndividualNumber):
    """The current 機構保存本人確認情報 of one 住民票コード (the last applied notice)."""

    individual_number = IndividualNumberField(purpose="jukinet_national.identity", null=True, blank=True)
    resident_code = models.CharField("住民票コード", max_length=11, unique=True)
    municipality_code = models.CharField("市町村コード", max_length=6)
    update_seq = models.PositiveBigIntegerField("更新順番号")
    removed = models.BooleanField("消除者", default=False)
    name_key = models.CharField("氏名検索キー", max_length=200, db_index=True)
    kana_key = models.CharField("清音化かな検索キー", max_length=200, blank=True, db_index=True)
    birth_date = models.CharField("生年月日", max_length=8, db_index=True)
    sex = models.CharField("性別", max_length=6)
    address = models.CharField("住所", max_length=200)
    notice = models.JSONField("本人確認情報（個人番号を除く）")
    consistency_digest = models.CharField("整合性確認ダイジェスト", max_length=22)
    received_at = models.DateTimeField("通知を受けた日時")
    sender_code = models.CharField("通知元都道府県コード", max_length=6)

    class Meta:
        verbose_name = "機構保存本人確認情報"
        indexes: ClassVar = [
            models.Index(fields=["municipality_code", "resident_code"], name="national_record_muni_code"),
        ]

    def __str__(self) -> str:
        return f"機構保存本人確認情報 {self.pk}"


class IdentityHistory(HasIndividualNumber):
    """Every applied notice as a full snapshot (append-only); kept 150 years after it stops being current."""

    individual_number = IndividualNumberField(purpose="jukinet_national.history", null=True, blank=True)
    record = models.ForeignKey(IdentityRecord, on_delete=models.PROTECT, related_name="history")
    resident_code = models.CharField("住民票コード", max_length=11, db_index=True)
    municipality_code = models.CharField("市町村コード", max_length=6)
    update_seq = models.PositiveBigIntegerField("更新順番号")
    notice = models.JSONField("本人確認情報（個人番号を除く）")
    consistency_digest = models.CharField("整合性確認ダイジェスト", max_length=22)
    message_id = models.UUIDField("メッセージID", unique=True)
    sender_code = models.CharField("通知元都道府県コード", max_length=6)
    received_at = models.DateTimeField("通知を受けた日時")
    # 保存期間フラグ: set when the row stops being current (superseded, or the person was removed);
    # the 150 years run from ``retained_from``.
    retention_flag = models.BooleanField("保存期間フラグ", default=False)
    retained_from = models.DateTimeField("保存期間の起算日時", null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = "機構保存本人確認情報の履歴"

    def __str__(self) -> str:
        return f"履歴 {self.pk}"


class UpdateRefusal(models.Model):
    """A refused 本人確認情報 update (sent back as IDENTITY_UPDATE_REJECTED); no personal data."""

    message_id = models.UUIDField("メッセージID", unique=True)
    subject_key = models.CharField("対象キー", max_length=64)
    sender_code = models.CharField("送信元コード", max_length=6)
    municipality_code = models.CharField("市町村コード", max_length=6)
    update_seq = models.PositiveBigIntegerField("更新順番号")
    code = models.CharField("拒否コード", max_length=64)
    received_at = models.DateTimeField("受信日時")

    class Meta:
        verbose_name = "本人確認情報更新の拒否"

    def __str__(self) -> str:
        return f"拒否 {self.message_id}"


class ResidentCode(models.Model):
    """Every 住民票コード issued by this node or seen in an update: nationally unique, never reissued."""

    class Source(models.TextChoices):
        ISSUED = "issued", "払出し"
        SEEN = "seen", "通知で受信"

    code = models.CharField("住民票コード", max_length=11, unique=True)
    municipality_code = models.CharField("払出し先市町村コード", max_length=6)
    source = models.CharField("由来", max_length=8, choices=Source.choices)
    issued_at = models.DateTimeField("登録日時")

    class Meta:
        verbose_name = "住民票コード払出し台帳"

    def __str__(self) -> str:
        return f"住民票コード台帳 {self.pk}"


class IndividualNumberRegister(HasIndividualNumber):
    """Every 個人番号 issued or seen, abolished ones included: a number is never issued twice."""

    class Status(models.TextChoices):
        CURRENT = "current", "現行"
        ABOLISHED = "abolished", "消除"

    class Source(models.TextChoices):
        ISSUED = "issued", "生成"
        SEEN = "seen", "通知で受信"

    individual_number = IndividualNumberField(purpose="jukinet_national.register", null=True, blank=True)
    resident_code = models.CharField("住民票コード", max_length=11, db_index=True)
    counter = models.PositiveIntegerField("生成カウンタ", default=0)
    status = models.CharField("状態", max_length=10, choices=Status.choices)
    source = models.CharField("由来", max_length=8, choices=Source.choices)
    issued_at = models.DateTimeField("登録日時")
    abolished_at = models.DateTimeField("消除日時", null=True, blank=True)

    class Meta:
        verbose_name = "個人番号生成台帳"
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["individual_number_index"], name="national_number_index_unique"),
            models.UniqueConstraint(
                fields=["resident_code"],
                condition=models.Q(status="current"),
                name="national_number_one_current",
            ),
        ]

    def __str__(self) -> str:
        return f"個人番号台帳 {self.pk}"


class Card(models.Model):
    """One 個人番号カード in 個人番号カード管理システム, with its 利用者証明用 public key."""

    class Status(models.TextChoices):
        ACTIVE = "active", "運用中"
        SUSPENDED = "suspended", "一時停止"
        ABOLISHED = "abolished", "廃止"
        RETURNED = "returned", "返還"
        COLLECTED = "collected", "回収"
        EXPIRED = "expired", "有効期限切れ"

    serial = models.CharField("シリアル番号", max_length=12, unique=True)
    resident_code = models.CharField("住民票コード", max_length=11, db_index=True)
    public_key = models.CharField("利用者証明用公開鍵", max_length=64)
    status = models.CharField("状態", max_length=10, choices=Status.choices, db_index=True)
    issued_on = models.DateField("発行日")
    valid_until = models.DateField("有効期限", db_index=True)
    issued_by = models.CharField("交付市町村ノード", max_length=6)
    # The 署名用電子証明書 the 機構 issued at 交付 (empty for a card issued before it, or when the
    # holder had no 機構保存本人確認情報 yet): its public key, serial, DER (base64url) and last valid day.
    signing_public_key = models.CharField("署名用公開鍵", max_length=64, blank=True, default="")
    signing_serial = models.CharField(
        "署名用電子証明書シリアル番号", max_length=16, blank=True, default="", db_index=True
    )
    signing_certificate = models.TextField("署名用電子証明書", blank=True, default="")
    signing_valid_until = models.DateField("署名用電子証明書の有効期限", null=True, blank=True)

    class Meta:
        verbose_name = "個人番号カード"

    def __str__(self) -> str:
        return f"カード {self.pk}"


class CardEvent(models.Model):
    """Append-only history of a card: every event received, refused ones included."""

    class Outcome(models.TextChoices):
        APPLIED = "applied", "反映"
        REFUSED = "refused", "拒否"

    card = models.ForeignKey(Card, on_delete=models.PROTECT, related_name="events", null=True, blank=True)
    card_serial = models.CharField("シリアル番号", max_length=12, db_index=True)
    event = models.CharField("事象", max_length=16)
    event_date = models.DateField("事象日")
    status_before = models.CharField("変更前状態", max_length=10, blank=True)
    status_after = models.CharField("変更後状態", max_length=10, blank=True)
    outcome = models.CharField("結果", max_length=8, choices=Outcome.choices)
    refusal_code = models.CharField("拒否コード", max_length=64, blank=True)
    municipality_code = models.CharField("市町村コード", max_length=6)
    reason = models.CharField("理由", max_length=100, blank=True)
    operator_id = models.CharField("操作者ID", max_length=64)
    terminal_id = models.CharField("操作端末ID", max_length=64)
    sender_code = models.CharField("送信元コード", max_length=6)
    message_id = models.UUIDField("メッセージID", null=True, blank=True)
    recorded_at = models.DateTimeField("記録日時")
    # Only for a code_change event: the code the card had before the 住民票コードの変更.
    former_resident_code = models.CharField("旧住民票コード", max_length=11, blank=True, default="")

    class Meta:
        verbose_name = "個人番号カードの事象"

    def __str__(self) -> str:
        return f"カード事象 {self.pk}"


class SigningCertificateRevocation(models.Model):
    """The 機構's 失効情報: one row per revoked certificate, insert-only. Mostly 署名用電子証明書; since the
    失効申請 also a card's 利用者証明用 certificate (its serial is ``certificate_serial.serial_of``)."""

    class Certificate(models.TextChoices):
        SIGNING = "signing", "署名用電子証明書"
        USER = "user", "利用者証明用電子証明書"

    serial = models.CharField("電子証明書シリアル番号", max_length=16, unique=True)
    certificate = models.CharField(
        "電子証明書の種類", max_length=8, choices=Certificate.choices, default=Certificate.SIGNING
    )
    card = models.ForeignKey(Card, on_delete=models.PROTECT, related_name="signing_revocations")
    revoked_at = models.DateTimeField("失効日時")
    reason = models.CharField("失効事由", max_length=100)

    class Meta:
        verbose_name = "署名用電子証明書の失効情報"
        verbose_name_plural = "署名用電子証明書の失効情報"

    def __str__(self) -> str:
        return f"失効情報 {self.pk}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise ValueError("失効情報は変更できません。")
        super().save(*args, **kwargs)


class UsedNonce(models.Model):
    """A challenge nonce already answered: a replayed card signature is refused."""

    nonce = models.CharField("ノンス", max_length=32, unique=True)
    card_serial = models.CharField("シリアル番号", max_length=12)
    used_at = models.DateTimeField("使用日時", db_index=True)

    class Meta:
        verbose_name = "使用済みノンス"

    def __str__(self) -> str:
        return f"ノンス {self.pk}"


class SendingAddressReceipt(HasIndividualNumber):
    """One 送付先情報 received by 個人番号カード管理システム (N4) and its check result.

    An accepted record keeps the 67 items (JSON without the 個人番号, which is encrypted) for the print
    file of its day; a refused one keeps only the identifiers and the refusal code. A waiting one keeps
    the items and the number until the person's 本人確認情報 arrives (then it is checked) or
    ``WAITING_HOURS`` pass (then it is refused).
    """

    class Result(models.TextChoices):
        ACCEPTED = "accepted", "受理"
        REFUSED = "refused", "返却"
        # The 住民票コード is not on file yet: its 本人確認情報 is still on its way through the prefecture.
        WAITING = "waiting", "本人確認情報待ち"

    individual_number = IndividualNumberField(
        purpose="jukinet_national.sending_address", null=True, blank=True
    )
    message_id = models.UUIDField("メッセージID", unique=True)
    control_number = models.CharField("送付先管理番号", max_length=32, db_index=True)
    sender_code = models.CharField("送信元市町村コード", max_length=6)
    # The CS's message stream, so a result given later (a waiting receipt) goes back on it.
    subject_key = models.CharField("対象キー", max_length=64, blank=True, default="")
    resident_code = models.CharField("住民票コード", max_length=11, blank=True)
    result = models.CharField("結果", max_length=10, choices=Result.choices)
    refusal_code = models.CharField("返却コード", max_length=64, blank=True)
    items = models.JSONField("送付先情報（個人番号を除く）", default=dict)
    received_at = models.DateTimeField("受信日時")
    received_on = models.DateField("受信日", db_index=True)
    printed_at = models.DateTimeField("印刷ファイル作成日時", null=True, blank=True)

    class Meta:
        verbose_name = "送付先情報（N4）"
        verbose_name_plural = "送付先情報（N4）"
        indexes: ClassVar = [models.Index(fields=["result", "resident_code"], name="national_sa_result_code")]

    def __str__(self) -> str:
        return f"送付先情報 {self.pk}"


class FuhyoRecord(models.Model):
    """The current 機構保存附票本人確認情報 (18 items, records.md §3) of one 住民票コード (N2).

    No 個人番号 and no 本籍 or 筆頭者: the 18 items hold none of them. ``update_seq`` is the sequence
    number of the prefecture's forward within ``subject_key`` (one subject per person and prefecture).
    """

    resident_code = models.CharField("住民票コード", max_length=11, unique=True)
    fuhyo_municipality_code = models.CharField("附票管理市町村コード", max_length=6, db_index=True)
    state = models.CharField("附票本人確認情報状態区分", max_length=8)
    name_key = models.CharField("氏名検索キー", max_length=200, db_index=True)
    kana_key = models.CharField("清音化かな検索キー", max_length=200, blank=True, db_index=True)
    birth_date = models.CharField("生年月日", max_length=8, db_index=True)
    sex = models.CharField("性別", max_length=6)
    items = models.JSONField("附票本人確認情報")
    deleted_at = models.DateTimeField("削除を受けた日時", null=True, blank=True)
    sender_code = models.CharField("通知元都道府県コード", max_length=6)
    subject_key = models.CharField("通知元の対象キー", max_length=64)
    update_seq = models.PositiveBigIntegerField("更新順番号")
    received_at = models.DateTimeField("通知を受けた日時")

    class Meta:
        verbose_name = "機構保存附票本人確認情報"

    def __str__(self) -> str:
        return f"機構保存附票本人確認情報 {self.pk}"


class FuhyoHistory(models.Model):
    """Every applied 附票 notice as a full snapshot (append-only); kept 150 years once not current."""

    record = models.ForeignKey(FuhyoRecord, on_delete=models.PROTECT, related_name="history")
    resident_code = models.CharField("住民票コード", max_length=11, db_index=True)
    notice_type = models.CharField("通知区分", max_length=8)
    items = models.JSONField("附票本人確認情報")
    message_id = models.UUIDField("メッセージID", unique=True)
    sender_code = models.CharField("通知元都道府県コード", max_length=6)
    update_seq = models.PositiveBigIntegerField("更新順番号")
    received_at = models.DateTimeField("通知を受けた日時")
    # 保存期間フラグ as in IdentityHistory: set when the row stops being current or the person is deleted.
    retention_flag = models.BooleanField("保存期間フラグ", default=False)
    retained_from = models.DateTimeField("保存期間の起算日時", null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = "機構保存附票本人確認情報の履歴"

    def __str__(self) -> str:
        return f"附票履歴 {self.pk}"


class FuhyoRefusal(models.Model):
    """A refused 附票 update (sent back as IDENTITY_UPDATE_REJECTED); no personal data."""

    message_id = models.UUIDField("メッセージID", unique=True)
    subject_key = models.CharField("対象キー", max_length=64)
    sender_code = models.CharField("送信元コード", max_length=6)
    fuhyo_municipality_code = models.CharField("附票管理市町村コード", max_length=6)
    update_seq = models.PositiveBigIntegerField("更新順番号")
    code = models.CharField("拒否コード", max_length=64)
    received_at = models.DateTimeField("受信日時")

    class Meta:
        verbose_name = "附票本人確認情報更新の拒否"

    def __str__(self) -> str:
        return f"附票拒否 {self.pk}"


class TokenRequestReceipt(models.Model):
    """One 符号取得要求 received from a CS (std 7.1.2.2-a) and how it was answered: the 処理通番 it was
    accepted under (unique, never reused), or the refusal code. No 個人番号 (the request has none)."""

    request_id = models.CharField("要求番号", max_length=32, unique=True)
    sender_code = models.CharField("送信元 市町村ノード", max_length=6)
    municipality_code = models.CharField("市町村コード", max_length=6)
    resident_code = models.CharField("住民票コード", max_length=11, db_index=True)
    process_number = models.CharField("処理通番", max_length=16, null=True, blank=True, unique=True)
    refusal_code = models.CharField("拒否コード", max_length=64, blank=True)
    received_at = models.DateTimeField("受信日時")

    class Meta:
        verbose_name = "符号取得要求の受付"

    def __str__(self) -> str:
        return f"符号取得要求の受付 {self.pk}"


class KioskMark(models.Model):
    """証明書交付センター: an issuance 抑止 or 支援措置 a municipality told the centre of (std 3.1-g).

    Appended when set; the lift stamps ``lifted_at`` (history kept). While a person has a mark not
    lifted, the centre refuses their kiosk requests before asking the municipality.
    """

    municipality_code = models.CharField("市町村コード", max_length=6)
    resident_code = models.CharField("住民票コード", max_length=11, db_index=True)
    kind = models.CharField("種類", max_length=20)
    restriction_id = models.BigIntegerField("抑止ID")
    set_at = models.DateTimeField("設定日時")
    lifted_at = models.DateTimeField("解除日時", null=True, blank=True)
    message_id = models.UUIDField("メッセージID", null=True, blank=True)

    class Meta:
        verbose_name = "コンビニ交付抑止"
        indexes = (models.Index(fields=["municipality_code", "kind", "restriction_id"]),)

    def __str__(self) -> str:
        return f"コンビニ交付抑止 {self.pk}"


class KioskRequest(models.Model):
    """One kiosk request the 証明書交付センター received and how it ended (issued or the refusal code).

    No certificate content: the municipality renders and keeps the 交付履歴; the centre keeps this log
    for link monitoring (system.md M7 6) and the person's 提供状況.
    """

    received_at = models.DateTimeField("受付日時", db_index=True)
    kiosk_id = models.CharField("端末ID", max_length=32)
    certificate_serial = models.CharField("証明書シリアル番号", max_length=16)
    municipality_code = models.CharField("市町村コード", max_length=6, blank=True)
    kind = models.CharField("種類", max_length=20)
    copies = models.PositiveSmallIntegerField("通数")
    refusal_code = models.CharField("拒否コード", max_length=64, blank=True)
    copy_numbers = models.JSONField("発行番号", default=list)
    fee = models.PositiveIntegerField("手数料", default=0)

    class Meta:
        verbose_name = "コンビニ交付請求"

    def __str__(self) -> str:
        return f"コンビニ交付請求 {self.pk}"


class KioskTally(models.Model):
    """A 日計表 or 月計表 the 証明書交付センター made of one municipality's kiosk requests (system.md M7 4).

    Insert-only: kept as sent (``KIOSK_TALLY``, ``message_id``); a period is tallied once per
    municipality. ``rows`` and ``copy_numbers`` are the message's items (jukinet.common.kiosk_tally).
    """

    municipality_code = models.CharField("市町村コード", max_length=6)
    period = models.CharField("集計区分", max_length=10)
    first_day = models.DateField("集計開始日")
    last_day = models.DateField("集計終了日")
    rows = models.JSONField("種類別集計")
    copy_numbers = models.JSONField("発行番号", default=list)
    made_at = models.DateTimeField("作成日時")
    message_id = models.CharField("電文ID", max_length=64, blank=True)

    class Meta:
        verbose_name = "コンビニ交付集計表"
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["municipality_code", "period", "first_day"], name="national_kiosk_tally_once"
            )
        ]

    def __str__(self) -> str:
        return f"コンビニ交付集計表 {self.municipality_code} {self.period} {self.first_day}"


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
        verbose_name = "共同利用CSの構成市町村（全国サーバ）"
        verbose_name_plural = "共同利用CSの構成市町村（全国サーバ）"

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
        verbose_name = "共同利用CSの構成市町村通知（全国サーバ）"
        verbose_name_plural = "共同利用CSの構成市町村通知（全国サーバ）"

    def __str__(self) -> str:
        return f"構成市町村通知 {self.pk}"

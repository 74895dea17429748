"""Certificates persistence: certifiers and their seals, 発行番号 counters, 交付履歴 and voided copies.

交付履歴 is never deleted within its retention period (standard 1.3.8-b is an X row; controls.md C-45):
the models refuse deletion, and a wrongly issued copy is voided by appending a record, not by editing.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models

from jumin.accounts.models import AppendOnlyModel
from jumin.domain.certificates import SEAL_MAX_MM, CertifierRole


class HistoryDeletionRefused(Exception):  # noqa: N818 (a refusal, as AccessRefused)
    """交付履歴 cannot be deleted within its retention period (standard 1.3.8-b)."""


class _NoDeleteQuerySet(models.QuerySet[Any]):
    def delete(self) -> tuple[int, dict[str, int]]:
        raise HistoryDeletionRefused("交付履歴は保存期間内に削除できません。")


class Certifier(models.Model):
    """認証者 (standard 1.3.9-a, 5.6-a): mayor or acting officer, with title, name, period and seal."""

    role = models.CharField(
        "区分",
        max_length=10,
        choices=[(CertifierRole.MAYOR.value, "市区町村長"), (CertifierRole.ACTING.value, "職務代理者")],
    )
    prefecture_name = models.CharField("都道府県名", max_length=10)
    municipality_name = models.CharField("市区町村名", max_length=40)
    title = models.CharField("職名", max_length=80, help_text="例: 佐世保市長、佐世保市長職務代理者 副市長")
    name = models.CharField("氏名", max_length=100)
    valid_from = models.DateField("在任（代理）開始日")
    valid_to = models.DateField("在任（代理）終了日", null=True, blank=True)
    seal_png = models.BinaryField("電子公印（PNG）")
    seal_size_mm = models.DecimalField("公印の大きさ（mm）", max_digits=4, decimal_places=1, default=21)
    registered_at = models.DateTimeField("登録日時", auto_now_add=True)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "認証者"
        verbose_name_plural = "認証者"
        constraints: ClassVar = [
            # 1.3.9-c (X): a certifier with a blank name (「○○長 公印」 style) is not allowed.
            models.CheckConstraint(condition=~models.Q(name=""), name="certificates_certifier_named"),
            models.CheckConstraint(
                condition=models.Q(seal_size_mm__gt=0, seal_size_mm__lte=SEAL_MAX_MM),
                name="certificates_seal_at_most_25mm",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.valid_from}〜)"

    @property
    def printed_title(self) -> str:
        """The title preceded by the prefecture name, also in designated cities (standard 5.6-a)."""
        return f"{self.prefecture_name}{self.title}"


class IssueCounter(models.Model):
    """The last 発行番号 serial of one scope and day (algorithms.md §E, ``issue_serial_scope``)."""

    scope = models.CharField(primary_key=True, max_length=120)
    last_serial = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.scope}: {self.last_serial}"


class Issuance(models.Model):
    """One 交付 (standard 1.3.8-a; controls.md C-45): when, where, by whom, of whom, what, how many, why."""

    issued_at = models.DateTimeField("交付日時")
    issue_date = models.DateField("交付日")
    place = models.CharField("交付場所", max_length=100, blank=True)
    terminal_id = models.CharField("端末ID", max_length=64, blank=True)
    terminal_name = models.CharField("端末名", max_length=100, blank=True)
    printer = models.CharField("プリンタ", max_length=40, blank=True)
    # Where the copy went (standard 10.7-a): the terminal's print setting at the time of issue.
    tray = models.CharField("トレイ", max_length=20, blank=True, default="")
    output = models.CharField("出力先", max_length=10, default="pdf")

    class Channel(models.TextChoices):
        """How the copy was asked for: at this office's counter, or by another municipality (広域交付); or a
        notice the municipality sent without a request (``notice_issuance``)."""

        COUNTER = "counter", "窓口"
        WIDE_AREA = "wide_area", "広域交付（他市区町村からの請求）"
        NOTICE = "notice", "通知（住民票コード通知票等）"
        KIOSK = "kiosk", "コンビニ交付（証明書交付センター経由）"

    # Empty for 広域交付: the operator is another municipality's, named in ``user_name``.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    user_name = models.CharField("交付者", max_length=150)
    channel = models.CharField("請求の経路", max_length=20, choices=Channel.choices, default=Channel.COUNTER)
    requesting_municipality = models.CharField(
        "請求を受けた市区町村（広域交付）", max_length=6, blank=True, default=""
    )
    kind = models.CharField("証明書の種類", max_length=20)
    layout = models.CharField("様式", max_length=10)
    options = models.JSONField("記載事項の選択")
    subjects = models.JSONField("対象者（宛名番号）")
    household_number = models.CharField("世帯番号", max_length=16)
    copies = models.PositiveSmallIntegerField("通数")
    sheets = models.PositiveIntegerField("枚数")
    requester_class = models.CharField("請求者区分", max_length=20)
    requester_name = models.CharField("請求者（代理人・第三者・機関）", max_length=200, blank=True)
    identity_check = models.CharField("本人確認方法", max_length=30)
    power_of_attorney_checked = models.BooleanField("委任状確認", default=False)
    third_party_purpose = models.CharField("利用目的の区分（12条の3）", max_length=30, blank=True)
    purpose_detail = models.CharField("利用目的・請求事由", max_length=400, blank=True)
    request_reason = models.CharField("請求理由", max_length=200, blank=True)
    submit_to = models.CharField("提出先", max_length=200, blank=True)
    fee = models.PositiveIntegerField("手数料（円）")
    individual_number_printed = models.BooleanField("個人番号記載", default=False)
    juminhyo_code_printed = models.BooleanField("住民票コード記載", default=False)
    seal_printed = models.BooleanField("公印", default=True)
    official_use = models.BooleanField("公用", default=False)
    certifier = models.ForeignKey(Certifier, on_delete=models.PROTECT, related_name="+")
    alerts_acknowledged = models.JSONField("確認したアラート", default=list)
    released_findings = models.JSONField("一時解除で通した抑止", default=list)
    pdf_sha256 = models.CharField("署名済みPDFのSHA-256", max_length=64)
    # The 異動番号 of the committed 転出 whose 本登録 printed it (standard 4.1.3.0.3-a); a number, not a
    # foreign key: the 交付履歴 outlives the registry's rows and never blocks their retention.
    at_commit_change = models.PositiveBigIntegerField("本登録時の交付（異動番号）", null=True, blank=True)

    objects = _NoDeleteQuerySet.as_manager()

    class Meta:
        verbose_name = "交付履歴"
        verbose_name_plural = "交付履歴"
        indexes: ClassVar = [models.Index(fields=["issue_date", "issued_at"], name="cert_issuance_date_idx")]

    def __str__(self) -> str:
        return f"交付 {self.pk} {self.issued_at:%Y-%m-%d %H:%M}"

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise HistoryDeletionRefused("交付履歴は保存期間内に削除できません。")


class IssuedCopy(models.Model):
    """One copy (通) with its own 発行番号 serial; every page of it shares the serial (§E)."""

    issuance = models.ForeignKey(Issuance, on_delete=models.PROTECT, related_name="issued_copies")
    position = models.PositiveSmallIntegerField("順番")
    subjects = models.JSONField("記載した方（宛名番号）")
    issue_date = models.DateField("発行日")
    municipality = models.CharField("市区町村名", max_length=40)
    terminal = models.CharField("端末", max_length=100, blank=True)
    printer = models.CharField("プリンタ", max_length=40, blank=True)
    serial = models.PositiveIntegerField("一連番号")
    pages = models.PositiveSmallIntegerField("頁数")
    copy_number = models.CharField("発行番号（頁を除く）", max_length=250, unique=True)

    objects = _NoDeleteQuerySet.as_manager()

    class Meta:
        verbose_name = "交付した証明書"
        verbose_name_plural = "交付した証明書"

    def __str__(self) -> str:
        return self.copy_number

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise HistoryDeletionRefused("交付履歴は保存期間内に削除できません。")


class CopyVoid(models.Model):
    """誤交付・廃棄の記録 (standard 1.3.8-a disposal record): appended, never edited."""

    copy = models.OneToOneField(IssuedCopy, on_delete=models.PROTECT, related_name="void")
    voided_at = models.DateTimeField("廃棄日時")
    voided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    voided_by_name = models.CharField("廃棄記録者", max_length=150)
    reason = models.CharField("理由", max_length=400)

    objects = _NoDeleteQuerySet.as_manager()

    class Meta:
        verbose_name = "誤交付・廃棄"
        verbose_name_plural = "誤交付・廃棄"

    def __str__(self) -> str:
        return f"廃棄 {self.copy_id}"

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise HistoryDeletionRefused("交付履歴は保存期間内に削除できません。")


class IssuanceSubject(models.Model):
    """One person printed by an issuance: the index the 交付履歴 inquiry and 本人通知 look people up by."""

    issuance = models.ForeignKey(Issuance, on_delete=models.PROTECT, related_name="subject_rows")
    atena_number = models.CharField("宛名番号", max_length=16, db_index=True)

    objects = _NoDeleteQuerySet.as_manager()

    class Meta:
        verbose_name = "交付履歴の対象者"
        verbose_name_plural = "交付履歴の対象者"
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["issuance", "atena_number"], name="cert_issuance_subject_once")
        ]

    def __str__(self) -> str:
        return f"交付 {self.issuance_id} 対象者"

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise HistoryDeletionRefused("交付履歴は保存期間内に削除できません。")


class SelfNotificationRegistration(models.Model):
    """本人通知の事前登録 (standard 8.1): while active, copies issued to a 代理人 or 第三者 are notified.

    Withdrawal closes the row (``withdrawn_at``); a later registration is a new row, so the periods stay.
    """

    atena_number = models.CharField("宛名番号", max_length=16, db_index=True)
    registered_at = models.DateTimeField("登録日時")
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    identity_check = models.CharField("本人確認方法", max_length=30)
    withdrawn_at = models.DateTimeField("廃止日時", null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "本人通知登録"
        verbose_name_plural = "本人通知登録"
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["atena_number"],
                condition=models.Q(withdrawn_at__isnull=True),
                name="cert_one_active_self_notification",
            )
        ]

    def __str__(self) -> str:
        return f"本人通知登録 {self.pk}"


class SelfNotice(models.Model):
    """One 本人通知 to send: a copy of a registered person was issued to a 代理人 or 第三者 (8.1)."""

    registration = models.ForeignKey(SelfNotificationRegistration, on_delete=models.PROTECT, related_name="+")
    issuance = models.ForeignKey(Issuance, on_delete=models.PROTECT, related_name="self_notices")
    atena_number = models.CharField("宛名番号", max_length=16)
    created_at = models.DateTimeField("作成日時")
    printed_at = models.DateTimeField("通知書作成日時", null=True, blank=True)
    printed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = _NoDeleteQuerySet.as_manager()

    class Meta:
        verbose_name = "本人通知"
        verbose_name_plural = "本人通知"

    def __str__(self) -> str:
        return f"本人通知 {self.pk}"

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise HistoryDeletionRefused("交付履歴は保存期間内に削除できません。")


class CardFacePrintSetting(models.Model):
    """券面印字の調整 (standard 7.1.1.3-b: print size and lines adjustable) of one terminal or one office.

    A terminal's own row wins over its office's (the terminal's 入力場所), which wins over the built-in
    default (``domain.card_face.PrintAdjustment``). Changed in place (a printer setting, not a record of
    a person); every change is audited with its old and new values.
    """

    class Scope(models.TextChoices):
        TERMINAL = "terminal", "端末"
        OFFICE = "office", "庁舎（入力場所）"

    scope = models.CharField("範囲", max_length=10, choices=Scope.choices)
    key = models.CharField("端末ID または 入力場所コード", max_length=64)
    font_size_pt = models.DecimalField("文字の大きさ（ポイント）", max_digits=4, decimal_places=1)
    line_pitch_mm = models.DecimalField("行の間隔（mm）", max_digits=4, decimal_places=1)
    offset_top_mm = models.DecimalField("上下の位置調整（mm）", max_digits=4, decimal_places=1)
    offset_left_mm = models.DecimalField("左右の位置調整（mm）", max_digits=4, decimal_places=1)
    seal_size_mm = models.DecimalField("公印の大きさ（mm）", max_digits=4, decimal_places=1)
    updated_at = models.DateTimeField("更新日時", auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "券面印字の調整"
        verbose_name_plural = "券面印字の調整"
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["scope", "key"], name="certificates_card_face_setting_unique")
        ]

    def __str__(self) -> str:
        return f"{self.get_scope_display()} {self.key}"


class TerminalPrintSetting(models.Model):
    """印刷設定 of one terminal (standard 10.7-a): the printer, its tray and the default output.

    A terminal without a row prints to PDF. Changed in place (a device setting, not a record of a
    person); every change is audited with its old and new values, and each issuance records the
    printer, tray and output it used in the 交付履歴.
    """

    class Output(models.TextChoices):
        PDF = "pdf", "PDF（保存）"
        PAPER = "paper", "紙（プリンタで印刷）"

    terminal_id = models.CharField("端末ID", max_length=64, unique=True)
    printer_name = models.CharField("プリンタ名", max_length=40, blank=True)
    tray = models.CharField("トレイ", max_length=20, blank=True)
    output = models.CharField("既定の出力先", max_length=10, choices=Output.choices, default=Output.PDF)
    updated_at = models.DateTimeField("更新日時", auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "端末の印刷設定"
        verbose_name_plural = "端末の印刷設定"

    def __str__(self) -> str:
        return f"印刷設定 {self.terminal_id}"


class _AppendedSetting(models.Model):
    """A setting kept as history: each change is a new row, the latest of its key is in force.

    Never updated or deleted, so who set what when stays readable (the change is audited as well).
    """

    set_at = models.DateTimeField("設定日時", auto_now_add=True)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    set_by_name = models.CharField("設定者氏名", max_length=100, blank=True)
    reason = models.CharField("理由", max_length=300, blank=True)

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Insert only: a change is a new row, so the history cannot be rewritten."""
        if not self._state.adding:
            raise ValueError("証明書の設定は変更できません。新しい設定を追加してください。")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ValueError("証明書の設定の履歴は削除できません。")


class CertificateOptionDefault(_AppendedSetting):
    """記載事項の既定値 of one certificate kind (standard 5.1-a/b).

    ``values`` is ``domain.certificate_settings.OptionDefaults.as_record``.
    """

    kind = models.CharField("証明書の種類", max_length=30)
    values = models.JSONField("既定値")

    class Meta:
        verbose_name = "証明書の記載事項の既定値"
        verbose_name_plural = "証明書の記載事項の既定値"
        indexes: ClassVar = [models.Index(fields=["kind", "-id"], name="cert_option_default_kind")]

    def __str__(self) -> str:
        return f"既定値 {self.kind} ({self.set_at})"


class OfficialSeal(_AppendedSetting):
    """A certificate-only or card-face 電子公印 (standard 5.6-b); the certifier's own seal is ``Certifier``'s.

    The latest row of a kind is in force; a row with ``withdrawn`` ends that kind's use (the certifier's
    seal prints again).
    """

    kind = models.CharField("公印の種類", max_length=20)
    color = models.CharField("色", max_length=10, default="black")
    png = models.BinaryField("電子公印（PNG）", blank=True)
    size_mm = models.DecimalField("公印の大きさ（mm）", max_digits=4, decimal_places=1, default=21)
    withdrawn = models.BooleanField("使用をやめる", default=False)

    class Meta:
        verbose_name = "電子公印"
        verbose_name_plural = "電子公印"
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=models.Q(size_mm__gt=0, size_mm__lte=SEAL_MAX_MM),
                name="certificates_official_seal_at_most_25mm",
            ),
            # Only the card-face seal may be red (standard 5.6-b).
            models.CheckConstraint(
                condition=models.Q(color="black") | models.Q(color="red", kind="card_face"),
                name="certificates_official_seal_color",
            ),
        ]

    def __str__(self) -> str:
        return f"電子公印 {self.kind} ({self.set_at})"


class CertificatePhraseSetting(_AppendedSetting):
    """定型文言 of one certificate kind (standard 5.6-b), printed beside the seal in this order."""

    kind = models.CharField("証明書の種類", max_length=30)
    phrases = models.JSONField("定型文言")

    class Meta:
        verbose_name = "証明書の定型文言"
        verbose_name_plural = "証明書の定型文言"

    def __str__(self) -> str:
        return f"定型文言 {self.kind} ({self.set_at})"


class KioskTallyReceived(AppendOnlyModel):
    """A 日計表 or 月計表 the 証明書交付センター sent of our kiosk requests (KIOSK_TALLY; system.md M7 4).

    Kept as received, to reconcile with our own 交付履歴 (certificates.kiosk_tallies); a later tally of the
    same period is a new row, the newest one counts.
    """

    period = models.CharField("集計区分", max_length=10)
    first_day = models.DateField("集計開始日")
    last_day = models.DateField("集計終了日")
    rows = models.JSONField("種類別集計")
    copy_numbers = models.JSONField("発行番号", default=list)
    received_at = models.DateTimeField("受信日時")
    message_id = models.CharField("電文ID", max_length=64)

    class Meta:
        verbose_name = "コンビニ交付集計表（受信）"
        indexes: ClassVar = [models.Index(fields=["first_day", "period"], name="cert_kiosk_tally_period_idx")]

    def __str__(self) -> str:
        return f"コンビニ交付集計表 {self.period} {self.first_day}"

"""抑止 (suppression), 一時解除 (temporary release) and 支援措置 (support measure) persistence.

Standard 3.1 and 3.4, records.md §6.12. Nothing here is ever deleted: lifting a suppression and ending
a support measure fill in "who, when, why" on the row once; a new period (extension, edited end date)
is a new ``SupportMeasurePeriod`` row. Models only; the rules live in ``restrictions`` (reads) and
``services_restrictions`` (changes).
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q


class RestrictedProcessChoice(models.TextChoices):
    """The process a suppression holds (standard 3.1-b); values equal ``restrictions.RestrictedProcess``."""

    CHANGE_ENTRY = "change_entry", "異動入力"
    CERTIFICATE = "certificate", "証明書発行"
    INQUIRY = "inquiry", "照会"


class RestrictionLevelChoice(models.TextChoices):
    """Error blocks; alert warns and lets the clerk go on after an acknowledgment (standard 3.1-b)."""

    ERROR = "error", "エラー"
    ALERT = "alert", "アラート"


class SuppressionScope(models.TextChoices):
    """A suppression holds one person or every member of one household (standard 3.1-b)."""

    PERSON = "person", "個人"
    HOUSEHOLD = "household", "世帯"


class SuppressionReason(models.TextChoices):
    """Why a suppression was set (standard 3.1-a)."""

    SUPPORT_MEASURE = "support_measure", "支援措置"
    EDIT_LOCK = "edit_lock", "排他（編集中）"
    OTHER = "other", "その他"


class Suppression(models.Model):
    """One 抑止. Several per person or household may be in force at once (standard 3.1-b).

    In force from ``start_date`` until lifted by staff; ``end_date`` is informative only and never
    lifts it (standard 3.1-c).
    """

    scope = models.CharField("対象範囲", max_length=10, choices=SuppressionScope.choices)
    resident = models.ForeignKey(
        "registry.Resident", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    household = models.ForeignKey(
        "registry.Household", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    process = models.CharField("抑止業務", max_length=20, choices=RestrictedProcessChoice.choices)
    level = models.CharField("抑止レベル", max_length=10, choices=RestrictionLevelChoice.choices)
    start_date = models.DateField("開始日")
    end_date = models.DateField("終了予定日", null=True, blank=True)
    reason = models.CharField("抑止理由", max_length=20, choices=SuppressionReason.choices)
    reason_text = models.CharField("抑止理由（詳細）", max_length=200, blank=True)
    support_measure = models.ForeignKey(
        "registry.SupportMeasure", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    set_at = models.DateTimeField("設定日時")
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    lifted_at = models.DateTimeField("解除日時", null=True, blank=True)
    lift_reason = models.CharField("解除理由", max_length=200, blank=True)

    class Meta:
        verbose_name = "抑止"
        verbose_name_plural = "抑止"
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=(Q(scope="person", resident__isnull=False, household__isnull=True))
                | (Q(scope="household", household__isnull=False, resident__isnull=True)),
                name="registry_suppression_scope_target",
            ),
        ]
        indexes: ClassVar = [
            models.Index(fields=["resident", "lifted_at"], name="registry_supp_person_idx"),
            models.Index(fields=["household", "lifted_at"], name="registry_supp_household_idx"),
        ]

    def __str__(self) -> str:
        return f"抑止 {self.pk}"


class ReleaseTarget(models.TextChoices):
    """What a temporary release lifts: suppressions, or the block of a 支援措置 (standard 3.1-d, 3.4-a)."""

    SUPPRESSION = "suppression", "抑止"
    SUPPORT_MEASURE = "support_measure", "支援措置"


class TemporaryRelease(models.Model):
    """一時解除: one person, one process, for one request until ``expires_at`` (standard 3.1-d, issue 6).

    It reverts by itself: checks ignore a release whose ``expires_at`` has passed. Never propagated.
    Single use: the request that passes through it fills in ``consumed_*`` once, in its own transaction
    (``services_restrictions.consume_releases``); checks ignore a consumed release too.
    """

    resident = models.ForeignKey("registry.Resident", on_delete=models.PROTECT, related_name="+")
    process = models.CharField("抑止業務", max_length=20, choices=RestrictedProcessChoice.choices)
    target = models.CharField("解除対象", max_length=20, choices=ReleaseTarget.choices)
    reason = models.CharField("一時解除理由", max_length=200)
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    granted_at = models.DateTimeField("一時解除日時")
    expires_at = models.DateTimeField("失効日時")
    consumed_at = models.DateTimeField("使用日時", null=True, blank=True)
    consumed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # What passed through it: ("issuance", its id), ("change", its id) or ("resident", 宛名番号) for a 照会.
    consumed_subject_type = models.CharField("使用した処理", max_length=20, blank=True)
    consumed_subject_id = models.CharField("使用した処理の番号", max_length=64, blank=True)

    class Meta:
        verbose_name = "一時解除"
        verbose_name_plural = "一時解除"
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(consumed_at__isnull=True, consumed_subject_type="")
                | Q(consumed_at__isnull=False, consumed_subject_type__gt=""),
                name="registry_release_consumed_with_subject",
            ),
        ]
        indexes: ClassVar = [
            models.Index(fields=["resident", "expires_at"], name="registry_release_person_idx"),
        ]

    def __str__(self) -> str:
        return f"一時解除 {self.pk}"


class CoveredService(models.TextChoices):
    """対象事務 of a support measure (standard 1.1.16-a)."""

    INSPECTION = "inspection", "住民基本台帳の閲覧"
    COPIES = "copies", "住民票の写し等の交付"
    # 除票の写し等 of the addresses the person lived at before (前住所地).
    PREVIOUS_COPIES = "previous_copies", "前住所地の住民票（除票）の写し等の交付"
    FUHYO_COPIES = "fuhyo_copies", "戸籍の附票の写しの交付"
    # 除附票の写し of an earlier 本籍 (前本籍地).
    PREVIOUS_FUHYO_COPIES = "previous_fuhyo_copies", "前本籍地の戸籍の附票（除附票）の写しの交付"


class SupportEndReason(models.TextChoices):
    """Why a support measure ended (standard 3.4-f)."""

    REQUEST = "request", "申出による終了"
    EXPIRY = "expiry", "期間満了（延長なし）"
    DECISION = "decision", "支援の必要がなくなったと認める決定"


class SupportMeasure(models.Model):
    """One 支援措置 request (standard 1.1.16-a, 3.4; records.md §6.12).

    Provisional (仮支援措置, 3.4-g) until a first ``SupportMeasurePeriod`` is recorded; in force (blocking
    issuance for its protected persons) until ``ended_at`` is set, even after the period has run out
    (algorithms.md F rule 4). ``perpetrator`` is the free text of the first screens, kept beside the
    structured 加害者 (``models_support.SupportPerpetrator``); both are shown only on the detail screen to
    holders of the view permission, never in lists, logs or audit entries.
    """

    covered_services = models.JSONField("対象事務", default=list)
    perpetrator = models.TextField("加害者", blank=True)
    remarks = models.TextField("支援申請備考", blank=True)
    start_reason = models.CharField("支援開始理由", max_length=200, blank=True)
    provisional_since = models.DateField("仮支援措置開始日", null=True, blank=True)
    original_municipality = models.CharField("最初に申出を受けた市区町村", max_length=100, blank=True)
    # Empty only for a 仮支援措置 opened by the system on a 転出元's notice (support_arrivals, 3.4-h).
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("受付日時")
    ended_on = models.DateField("支援終了日", null=True, blank=True)
    end_reason = models.CharField("支援終了理由", max_length=20, choices=SupportEndReason.choices, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    ended_at = models.DateTimeField("終了処理日時", null=True, blank=True)

    class Meta:
        verbose_name = "支援措置"
        verbose_name_plural = "支援措置"

    def __str__(self) -> str:
        return f"支援措置 {self.pk}"


class SupportRole(models.TextChoices):
    """A protected person's place in the request (standard 1.1.16-a)."""

    APPLICANT = "applicant", "申出者"
    CO_APPLICANT = "co_applicant", "併せて支援を求める者"


class SupportMeasurePerson(models.Model):
    """A person a support measure protects: the applicant or one 併せて支援を求める者."""

    measure = models.ForeignKey(SupportMeasure, on_delete=models.PROTECT, related_name="people")
    resident = models.ForeignKey("registry.Resident", on_delete=models.PROTECT, related_name="+")
    role = models.CharField("区分", max_length=20, choices=SupportRole.choices)

    class Meta:
        verbose_name = "支援対象者"
        verbose_name_plural = "支援対象者"
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["measure", "resident"], name="registry_support_person_key"),
        ]

    def __str__(self) -> str:
        return f"支援対象者 {self.pk}"


class PeriodKind(models.TextChoices):
    """How a period row came about: the first decision, an extension (3.4-c) or an edited end (3.4-b)."""

    INITIAL = "initial", "支援開始"
    EXTENSION = "extension", "延長"
    EDIT = "edit", "終了日の修正"


class SupportMeasurePeriod(models.Model):
    """One period of a support measure; the latest row (highest id) is the period in force."""

    measure = models.ForeignKey(SupportMeasure, on_delete=models.PROTECT, related_name="periods")
    kind = models.CharField("区分", max_length=20, choices=PeriodKind.choices)
    start = models.DateField("支援開始日")
    end = models.DateField("支援終了予定日")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField("記録日時")

    class Meta:
        verbose_name = "支援措置期間"
        verbose_name_plural = "支援措置期間"

    def __str__(self) -> str:
        return f"支援措置期間 {self.pk}"


class SupportEndNoticePrint(models.Model):
    """A printed 支援措置期間終了通知 (3.4-d) for one period: the 期間終了予定一覧 shows it was sent.

    Rows are only added (a reprint adds another); the print's audit entry is written with it.
    """

    period = models.ForeignKey(
        SupportMeasurePeriod, on_delete=models.PROTECT, related_name="end_notice_prints"
    )
    printed_at = models.DateTimeField("印刷日時")
    printed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = "支援措置期間終了通知の印刷"
        verbose_name_plural = "支援措置期間終了通知の印刷"

    def __str__(self) -> str:
        return f"期間終了通知の印刷 {self.pk}"


class MunicipalityRole(models.TextChoices):
    """This municipality's role in a support measure (standard 3.4-h)."""

    CURRENT = "current", "住所地"
    FORMER = "former", "転出元"


class SupportRoleSwitch(models.Model):
    """One switch of a support measure's role (append-only; the latest row, highest id, is in force).

    No row: this municipality is the 住所地. A committed 転出 of a protected person appends 転出元
    (the measure becomes a 仮支援措置, 3.4-h); cancelling that 転出 appends 住所地 again.
    """

    measure = models.ForeignKey(SupportMeasure, on_delete=models.PROTECT, related_name="role_switches")
    role = models.CharField("区分", max_length=20, choices=MunicipalityRole.choices)
    reason = models.CharField("切替理由", max_length=200)
    change = models.ForeignKey("registry.Change", on_delete=models.PROTECT, related_name="+")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField("記録日時")

    class Meta:
        verbose_name = "支援措置の区分切替"
        verbose_name_plural = "支援措置の区分切替"

    def __str__(self) -> str:
        return f"支援措置の区分切替 {self.pk}"

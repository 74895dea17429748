"""Staff accounts, the people behind them, terminals, grants and approvals (issue 3; docs/security.md).

History is appended, never overwritten: accounts are deactivated, grants are ended (``ended_at``),
and the grant register (権限管理簿) only ever receives new rows.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q

from jumin.crypto.fields import EncryptedSecretField

# Associated data of the sealed TOTP secret: a value copied to another column does not decrypt.
TOTP_SECRET_PURPOSE = "accounts.totp_secret"  # noqa: S105 (a column label, not a secret)


class StaffPerson(models.Model):
    """A named person who may hold an account: a staff member or a listed contractor worker (C-1)."""

    class Kind(models.TextChoices):
        STAFF = "staff", "職員"
        TEMPORARY = "temporary", "臨時職員"
        CONTRACTOR = "contractor", "委託先従事者"

    class Status(models.TextChoices):
        ACTIVE = "active", "在職"
        ON_LEAVE = "on_leave", "休職"
        RETIRED = "retired", "退職"

    staff_number = models.CharField("職員番号", max_length=20, unique=True)
    name = models.CharField("氏名", max_length=100)
    department = models.CharField("所属", max_length=100, blank=True)
    kind = models.CharField("区分", max_length=12, choices=Kind.choices, default=Kind.STAFF)
    status = models.CharField("状態", max_length=12, choices=Status.choices, default=Status.ACTIVE)
    # 臨時職員: the employment notice (雇用通知書) and the end of employment bound every grant (C-16).
    employment_notice = models.CharField("雇用通知書番号", max_length=40, blank=True)
    employment_end = models.DateField("雇用期間満了日", null=True, blank=True)
    created_at = models.DateTimeField("登録日時", auto_now_add=True)

    class Meta:
        verbose_name = "職員（人）"
        verbose_name_plural = "職員（人）"

    def __str__(self) -> str:
        return self.staff_number


class User(AbstractUser):
    """One account per person (C-1): at most one active account per ``person`` on this node.

    ``display_name`` is copied into audit entries so that they stay readable after the account
    is deactivated; accounts are deactivated, never deleted.
    """

    display_name = models.CharField("氏名", max_length=100, blank=True)
    department = models.CharField("所属", max_length=100, blank=True)
    person = models.ForeignKey(
        StaffPerson,
        verbose_name="職員（人）",
        on_delete=models.PROTECT,
        related_name="accounts",
        null=True,
        blank=True,
    )
    failed_login_count = models.PositiveSmallIntegerField("連続失敗回数", default=0)
    locked_at = models.DateTimeField("ロック日時", null=True, blank=True)
    # TOTP fallback factor (RFC 6238), sealed with AES-256-GCM under the node's data keys (never in
    # clear at rest, in the admin or in a repr); the last accepted time step refuses a replayed code.
    totp_secret = EncryptedSecretField("TOTP秘密鍵", purpose=TOTP_SECRET_PURPOSE)
    totp_last_step = models.BigIntegerField("TOTP最終ステップ", default=0)

    class Meta:
        verbose_name = "職員"
        verbose_name_plural = "職員"
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(is_active=True),
                name="accounts_one_active_account_per_person",
            )
        ]

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def is_locked(self) -> bool:
        """Locked by repeated failures until an administrator unlocks it (C-5)."""
        return self.locked_at is not None


class PasswordHistory(models.Model):
    """Earlier password hashes of an account, for the no-reuse rule (C-6)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="password_history")
    password = models.CharField(max_length=128)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "パスワード履歴"
        verbose_name_plural = "パスワード履歴"

    def __str__(self) -> str:
        return f"{self.user_id} {self.created_at:%Y-%m-%d}"


class WebAuthnCredential(models.Model):
    """A WebAuthn authenticator bound to exactly one account (C-2): the id is unique on the node."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="webauthn_credentials")
    credential_id = models.CharField("クレデンシャルID", max_length=1400, unique=True)
    public_key = models.BinaryField("公開鍵")
    sign_count = models.BigIntegerField("署名カウンタ", default=0)
    label = models.CharField("名称", max_length=100, blank=True)
    created_at = models.DateTimeField("登録日時", auto_now_add=True)
    last_used_at = models.DateTimeField("最終利用日時", null=True, blank=True)

    class Meta:
        verbose_name = "WebAuthn認証器"
        verbose_name_plural = "WebAuthn認証器"

    def __str__(self) -> str:
        return self.label or f"credential {self.pk}"


class InputPlace(models.Model):
    """An input place (入力場所: 本庁・支所・出張所・利用部署, standard 1.3.1-a, 1.2.1-a).

    Rows are never overwritten: renaming a place ends its row (``valid_to``) and adds a new row with the
    same ``code``, so a change keeps pointing at the row that was in force when it was committed. The
    row of kind ``unknown`` stands for changes recorded before input places existed.
    """

    class Kind(models.TextChoices):
        MAIN_OFFICE = "main_office", "本庁"
        BRANCH = "branch", "支所"
        SUB_BRANCH = "sub_branch", "出張所"
        DEPARTMENT = "department", "利用部署"
        UNKNOWN = "unknown", "不明"

    code = models.CharField("入力場所コード", max_length=10)
    name = models.CharField("名称", max_length=100)
    kind = models.CharField("区分", max_length=12, choices=Kind.choices)
    valid_from = models.DateField("適用開始日")
    valid_to = models.DateField("適用終了日", null=True, blank=True)
    registered_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    registered_at = models.DateTimeField("登録日時", auto_now_add=True)

    class Meta:
        verbose_name = "入力場所"
        verbose_name_plural = "入力場所"
        ordering = ("code", "valid_from")
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["code", "valid_from"], name="accounts_input_place_code_from_uniq"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Terminal(models.Model):
    """A registered terminal (端末). Only these may open sessions (C-3).

    An administrator registers the terminal and receives a one-time enrolment code; entering it on
    the terminal stores a signed cookie carrying ``terminal_id`` and ``key``. Re-enrolment rotates
    ``key``, which invalidates every older cookie; deactivation refuses the terminal at once.
    """

    terminal_id = models.CharField("端末ID", max_length=64, unique=True)
    name = models.CharField("名称", max_length=100)
    location = models.CharField("設置場所", max_length=100, blank=True)
    is_active = models.BooleanField("有効", default=True)
    # CS / integrated terminal (C-4): only WebAuthn with user verification (biometric) logs in here.
    biometric_only = models.BooleanField("CS端末（生体認証のみ）", default=False)
    # The input place (standard 1.3.1-a) by code: the place's row in force on a day is looked up then.
    input_place_code = models.CharField("入力場所コード", max_length=10, blank=True, default="")
    key = models.CharField(max_length=64, blank=True)
    enrolment_code_hash = models.CharField(max_length=128, blank=True)
    enrolment_expires_at = models.DateTimeField(null=True, blank=True)
    enrolled_at = models.DateTimeField("登録完了日時", null=True, blank=True)
    registered_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    registered_at = models.DateTimeField("登録日時", auto_now_add=True)

    class Meta:
        verbose_name = "端末"
        verbose_name_plural = "端末"

    def __str__(self) -> str:
        return self.terminal_id


class TrainingRecord(models.Model):
    """A completed training of one person (C-18, C-100)."""

    class Kind(models.TextChoices):
        SECURITY = "security", "情報セキュリティ研修"
        OPERATOR = "operator", "操作研修"

    person = models.ForeignKey(StaffPerson, on_delete=models.PROTECT, related_name="trainings")
    kind = models.CharField("研修種別", max_length=12, choices=Kind.choices)
    fiscal_year = models.PositiveSmallIntegerField("年度")
    completed_on = models.DateField("修了日")
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "研修記録"
        verbose_name_plural = "研修記録"

    def __str__(self) -> str:
        return f"{self.kind} {self.fiscal_year}"


class Contract(models.Model):
    """A contract with a contractor (委託契約); its workers are on the roster (C-88, C-89)."""

    number = models.CharField("契約番号", max_length=40, unique=True)
    vendor = models.CharField("委託先", max_length=100)
    starts_on = models.DateField("契約開始日")
    ends_on = models.DateField("契約終了日")
    is_active = models.BooleanField("有効", default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "委託契約"
        verbose_name_plural = "委託契約"

    def __str__(self) -> str:
        return self.number


class RosterEntry(models.Model):
    """One worker on a contract's worker roster (従事者名簿); ``removed_on`` ends it (C-89)."""

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="roster")
    person = models.ForeignKey(StaffPerson, on_delete=models.PROTECT, related_name="roster_entries")
    added_on = models.DateField("記載日")
    removed_on = models.DateField("削除日", null=True, blank=True)

    class Meta:
        verbose_name = "従事者名簿"
        verbose_name_plural = "従事者名簿"

    def __str__(self) -> str:
        return f"{self.contract_id}/{self.person_id}"


class OrganisationUnit(models.Model):
    """An organisation unit (部署), for grants given to a unit (standard 10.3-b).

    Deactivated, never deleted: a grant to an inactive unit gives nobody anything.
    """

    code = models.CharField("部署コード", max_length=20, unique=True)
    name = models.CharField("名称", max_length=100)
    is_active = models.BooleanField("有効", default=True)
    registered_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    registered_at = models.DateTimeField("登録日時", auto_now_add=True)

    class Meta:
        verbose_name = "部署"
        verbose_name_plural = "部署"

    def __str__(self) -> str:
        return self.code


class UnitMembership(models.Model):
    """A person's membership of a unit from ``starts_on`` to ``ends_on`` (open if empty), unless ended.

    Like a grant, a membership is ended (``ended_at``), never changed or deleted; a personnel event
    (異動・休職・退職) ends every membership of the person at once, as it revokes their grants (C-15).
    """

    unit = models.ForeignKey(OrganisationUnit, on_delete=models.PROTECT, related_name="memberships")
    person = models.ForeignKey(StaffPerson, on_delete=models.PROTECT, related_name="unit_memberships")
    starts_on = models.DateField("所属開始日")
    ends_on = models.DateField("所属終了日", null=True, blank=True)
    ended_at = models.DateTimeField("終了日時", null=True, blank=True)
    end_reason = models.CharField("終了理由", max_length=40, blank=True)
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    recorded_at = models.DateTimeField("記録日時", auto_now_add=True)

    class Meta:
        verbose_name = "部署所属"
        verbose_name_plural = "部署所属"
        indexes: ClassVar = [models.Index(fields=["person", "unit"], name="accounts_membership_person_idx")]

    def __str__(self) -> str:
        return f"{self.unit_id}/{self.person_id}"


class GrantApplication(models.Model):
    """An application for a grant: from the section head (申請) to the IT head (承認) (C-12)."""

    class Status(models.TextChoices):
        REQUESTED = "requested", "申請中"
        APPROVED = "approved", "承認"
        REJECTED = "rejected", "却下"

    # Exactly one of: a person's account, or an organisation unit (部署; standard 10.3-b).
    grantee = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="grant_applications", null=True, blank=True
    )
    unit = models.ForeignKey(
        OrganisationUnit, on_delete=models.PROTECT, related_name="grant_applications", null=True, blank=True
    )
    duty = models.CharField("事務", max_length=40)
    extra_permissions = models.JSONField("個別の項目表示権限", default=list, blank=True)
    starts_on = models.DateField("開始日")
    ends_on = models.DateField("終了日")
    reason = models.CharField("申請理由", max_length=400, blank=True)
    requested_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField("申請日時", auto_now_add=True)
    status = models.CharField("状態", max_length=12, choices=Status.choices, default=Status.REQUESTED)
    decided_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField("決裁日時", null=True, blank=True)
    decision_reason = models.CharField("決裁理由", max_length=400, blank=True)

    class Meta:
        verbose_name = "権限付与申請"
        verbose_name_plural = "権限付与申請"
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(grantee__isnull=False, unit__isnull=True)
                | Q(grantee__isnull=True, unit__isnull=False),
                name="accounts_application_user_or_unit",
            )
        ]

    def __str__(self) -> str:
        return f"application {self.pk}"


class Grant(models.Model):
    """A grant in force between ``starts_on`` and ``ends_on`` unless ended (C-12 to C-17).

    It exists only through an approved application (one-to-one, never null), and the authoriser
    also checks that application's status, so a row without an approved application is ignored.
    """

    application = models.OneToOneField(GrantApplication, on_delete=models.PROTECT, related_name="grant")
    # Exactly one of: the account, or the unit whose current members hold it (standard 10.3-b).
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="grants", null=True, blank=True)
    unit = models.ForeignKey(
        OrganisationUnit, on_delete=models.PROTECT, related_name="grants", null=True, blank=True
    )
    duty = models.CharField("事務", max_length=40)
    permissions = models.JSONField("権限", default=list)
    starts_on = models.DateField("開始日")
    ends_on = models.DateField("終了日")
    created_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField("終了日時", null=True, blank=True)
    end_reason = models.CharField("終了理由", max_length=40, blank=True)

    class Meta:
        verbose_name = "権限付与"
        verbose_name_plural = "権限付与"
        indexes: ClassVar = [
            models.Index(fields=["user", "ends_on"], name="accounts_grant_user_idx"),
            models.Index(fields=["unit", "ends_on"], name="accounts_grant_unit_idx"),
        ]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(user__isnull=False, unit__isnull=True) | Q(user__isnull=True, unit__isnull=False),
                name="accounts_grant_user_or_unit",
            )
        ]

    def __str__(self) -> str:
        return f"grant {self.pk}"


class AppendOnlyModel(models.Model):
    """A table whose rows are only ever inserted: updates and deletes raise."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise PermissionError("append-only register: rows cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError("append-only register: rows cannot be deleted")


class GrantRegisterEntry(AppendOnlyModel):
    """The grant register (権限管理簿): one row per grant and per revocation or lapse (C-12, C-15)."""

    class Kind(models.TextChoices):
        GRANTED = "granted", "付与"
        REVOKED = "revoked", "取消"
        LAPSED = "lapsed", "年度末失効"

    kind = models.CharField("区分", max_length=10, choices=Kind.choices)
    grant = models.ForeignKey(Grant, on_delete=models.PROTECT, related_name="register_entries")
    staff_number = models.CharField("職員番号", max_length=20)
    # The unit of a grant to a unit (staff_number is then empty). Nullable: adding it keeps the table (and
    # its append-only triggers) on SQLite.
    unit_code = models.CharField("部署コード", max_length=20, null=True, blank=True)  # noqa: DJ001 (see above)
    duty = models.CharField("事務", max_length=40)
    permissions = models.JSONField("権限", default=list)
    starts_on = models.DateField("開始日")
    ends_on = models.DateField("終了日")
    applicant_id = models.BigIntegerField("申請者ID", null=True)
    approver_id = models.BigIntegerField("承認者ID", null=True)
    actor_id = models.BigIntegerField("記録者ID", null=True)
    reason = models.CharField("理由", max_length=100, blank=True)
    recorded_at = models.DateTimeField("記録日時", auto_now_add=True)

    class Meta:
        verbose_name = "権限管理簿"
        verbose_name_plural = "権限管理簿"

    def __str__(self) -> str:
        return f"{self.kind} {self.grant_id}"


class HrEvent(AppendOnlyModel):
    """A personnel event (異動・休職・退職・復職) that revokes grants the same day (C-15)."""

    class Kind(models.TextChoices):
        TRANSFER = "transfer", "異動"
        LEAVE = "leave", "休職"
        RETIREMENT = "retirement", "退職"
        RETURN = "return", "復職"

    person = models.ForeignKey(StaffPerson, on_delete=models.PROTECT, related_name="hr_events")
    kind = models.CharField("種別", max_length=12, choices=Kind.choices)
    effective_on = models.DateField("発令日")
    new_department = models.CharField("異動先", max_length=100, blank=True)
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "人事異動"
        verbose_name_plural = "人事異動"

    def __str__(self) -> str:
        return f"{self.kind} {self.effective_on}"


class RegisteredMedium(models.Model):
    """A removable medium registered and managed by the IT department (C-28)."""

    medium_id = models.CharField("媒体ID", max_length=40, unique=True)
    label = models.CharField("名称", max_length=100)
    encrypted = models.BooleanField("暗号化済み", default=True)
    is_active = models.BooleanField("有効", default=True)
    registered_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    registered_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "登録媒体"
        verbose_name_plural = "登録媒体"

    def __str__(self) -> str:
        return self.medium_id


class ApprovalRequest(models.Model):
    """A request for prior approval of bulk output (大量出力) or media output (媒体出力) (C-26, C-28).

    The approval fixes the scope and the maximum count; it is used once.
    """

    class Kind(models.TextChoices):
        BULK_OUTPUT = "bulk_output", "大量出力"
        MEDIA_OUTPUT = "media_output", "媒体出力"

    class Status(models.TextChoices):
        REQUESTED = "requested", "申請中"
        APPROVED = "approved", "承認"
        REJECTED = "rejected", "却下"
        USED = "used", "実施済"

    kind = models.CharField("種別", max_length=14, choices=Kind.choices)
    purpose = models.CharField("利用目的", max_length=100)
    scope = models.CharField("範囲", max_length=400)
    max_count = models.PositiveIntegerField("上限件数")
    medium = models.ForeignKey(RegisteredMedium, on_delete=models.PROTECT, null=True, blank=True)
    requested_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField("状態", max_length=10, choices=Status.choices, default=Status.REQUESTED)
    decided_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.CharField("決裁理由", max_length=400, blank=True)

    class Meta:
        verbose_name = "出力承認申請"
        verbose_name_plural = "出力承認申請"

    def __str__(self) -> str:
        return f"approval {self.pk}"


class MediaOutputRecord(AppendOnlyModel):
    """Every output to a medium: who, when, which medium, what, how many, file hash (C-27)."""

    approval = models.OneToOneField(ApprovalRequest, on_delete=models.PROTECT, related_name="output")
    medium = models.ForeignKey(RegisteredMedium, on_delete=models.PROTECT, related_name="outputs")
    description = models.CharField("出力内容", max_length=200)
    record_count = models.PositiveIntegerField("件数")
    file_sha256 = models.CharField("ファイルハッシュ", max_length=64)
    purpose = models.CharField("利用目的", max_length=100)
    actor = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField("出力日時", auto_now_add=True)

    class Meta:
        verbose_name = "媒体出力記録"
        verbose_name_plural = "媒体出力記録"

    def __str__(self) -> str:
        return f"output {self.pk}"


class ApprovalDecision(AppendOnlyModel):
    """One stage's decision on an approval request (C-26, C-28); append-only, also in the database.

    Bulk output has one stage (管理責任者); media output two (所属長, then 情報主管課長). Each stage is
    decided by a different person, never the requester.
    """

    approval = models.ForeignKey(ApprovalRequest, on_delete=models.PROTECT, related_name="decisions")
    stage = models.PositiveSmallIntegerField("段階")
    role = models.CharField("承認者の役割", max_length=40)
    decided_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    approved = models.BooleanField("承認")
    reason = models.CharField("理由", max_length=400, blank=True)
    decided_at = models.DateTimeField("決裁日時", auto_now_add=True)

    class Meta:
        verbose_name = "出力承認の決裁"
        verbose_name_plural = "出力承認の決裁"
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["approval", "stage"], name="accounts_one_decision_per_stage")
        ]

    def __str__(self) -> str:
        return f"decision {self.approval_id}/{self.stage}"


class MediaUseCheck(models.Model):
    """The post-use audit task every media output creates (C-28): open until the IT department
    records that the medium was checked (and erased) after use.
    """

    output = models.OneToOneField(MediaOutputRecord, on_delete=models.PROTECT, related_name="use_check")
    created_at = models.DateTimeField("作成日時", auto_now_add=True)
    checked_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    checked_at = models.DateTimeField("点検日時", null=True, blank=True)
    erased = models.BooleanField("消去確認", default=False)
    note = models.CharField("所見", max_length=400, blank=True)

    class Meta:
        verbose_name = "媒体使用後点検"
        verbose_name_plural = "媒体使用後点検"

    def __str__(self) -> str:
        return f"check {self.output_id}"

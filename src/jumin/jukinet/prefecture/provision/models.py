"""Tables of the prefecture's provision, transfer and disclosure (docs/prefecture.md).

The provision log (``ProvisionRecord``) is append-only: services only insert, and only the 7-year purge
deletes (004 III.5 R1). No table holds a 個人番号 in plain text: a search by 個人番号 keeps only its
blind index, so a later audit can still ask "who looked for this number".
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models

from jumin.crypto.fields import IndividualNumberIndexField


class RequestingBody(models.Model):
    """提供先・移転先: another executive body (提供, 住基法30条の15第2項) or a department (移転, 第1項)."""

    class Kind(models.TextChoices):
        EXECUTIVE_BODY = "executive_body", "他の執行機関（提供・30条の15第2項）"
        DEPARTMENT = "department", "知事部局の他部署（移転・30条の15第1項）"

    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    ordinance = models.CharField(max_length=200, blank=True)  # 条例 basis of an executive body's 事務
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering: ClassVar = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class LegalBasis(models.Model):
    """One 事務 a requesting body may use, with the items it may receive (of the 8 items)."""

    body = models.ForeignKey(RequestingBody, on_delete=models.PROTECT, related_name="bases")
    code = models.CharField(max_length=20)
    label = models.CharField(max_length=200)
    article = models.CharField(max_length=100)  # e.g. 住基法30条の15第2項 別表第六
    allowed_items = models.JSONField(default=list)  # item codes (jukinet.prefecture.provision.items)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering: ClassVar = ["body__code", "code"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["body", "code"], name="provision_basis_unique")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.label}"


class BodyOperator(models.Model):
    """A terminal operator belongs to one requesting body; they may use only its bases."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.ForeignKey(RequestingBody, on_delete=models.PROTECT, related_name="operators")
    assigned_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"提供先操作者 {self.pk}"


class BulkRun(models.Model):
    """One 一括提供 run on the 代表端末: its condition file, result file and media output."""

    created_at = models.DateTimeField(auto_now_add=True)
    operator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.ForeignKey(RequestingBody, on_delete=models.PROTECT, related_name="+")
    basis = models.ForeignKey(LegalBasis, on_delete=models.PROTECT, related_name="+")
    approval_id = models.IntegerField()
    medium_id = models.CharField(max_length=40)
    media_output_id = models.IntegerField()
    row_count = models.IntegerField()
    found_count = models.IntegerField()
    not_found_count = models.IntegerField()
    multiple_count = models.IntegerField()
    error_count = models.IntegerField()
    condition_sha256 = models.CharField(max_length=64)
    result_sha256 = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"一括提供 {self.pk}"


class ProvisionRecord(models.Model):
    """One person provided or transferred, or one request refused or not found (kept 7 years)."""

    class Kind(models.TextChoices):
        PROVISION = "provision", "提供"
        TRANSFER = "transfer", "移転"

    class Channel(models.TextChoices):
        INDIVIDUAL = "individual", "個別照会（業務端末）"
        BULK = "bulk", "一括提供（代表端末）"

    class SearchKind(models.TextChoices):
        RESIDENT_CODE = "resident_code", "住民票コード"
        INDIVIDUAL_NUMBER = "individual_number", "個人番号"
        FOUR_ITEMS = "four_items", "4情報"
        NONE = "", "なし"

    class Outcome(models.TextChoices):
        PROVIDED = "provided", "提供・移転"
        NATIONAL = "national", "提供・移転（全国サーバ照会）"
        NOT_FOUND = "not_found", "該当なし"
        MULTIPLE = "multiple", "複数該当"
        REFUSED = "refused", "拒否"
        ERROR = "error", "条件エラー"

    created_at = models.DateTimeField(db_index=True)
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    operator_username = models.CharField(max_length=150)  # readable after the account is gone
    terminal_id = models.CharField(max_length=64, blank=True)
    body = models.ForeignKey(RequestingBody, on_delete=models.PROTECT, null=True, related_name="+")
    basis = models.ForeignKey(LegalBasis, on_delete=models.PROTECT, null=True, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices, blank=True)
    channel = models.CharField(max_length=20, choices=Channel.choices)
    search_kind = models.CharField(max_length=20, choices=SearchKind.choices, blank=True)
    resident_code = models.CharField(max_length=11, blank=True)  # the person provided, "" when none
    searched_number_index = IndividualNumberIndexField(blank=True)  # blind index only, never the number
    items = models.JSONField(default=list)
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    outcome_reason = models.CharField(max_length=100, blank=True)
    bulk_run = models.ForeignKey(BulkRun, on_delete=models.CASCADE, null=True, related_name="records")
    row_number = models.IntegerField(null=True)

    class Meta:
        ordering: ClassVar = ["-created_at", "-id"]
        indexes: ClassVar = [
            # A person's provision history (issue 8 item 7) stays an index lookup.
            models.Index(fields=["resident_code", "created_at"], name="provision_person_idx"),
        ]

    def __str__(self) -> str:
        return f"提供・移転の記録 {self.pk}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Append-only (004 III.5 R1): a written log row is never changed; only the 7-year purge deletes.
        if not self._state.adding:
            raise ValueError("提供・移転の記録は変更できません。")
        super().save(*args, **kwargs)


class DisclosureRequest(models.Model):
    """開示請求 (住基法30条の32): a person's written request for their own 本人確認情報, free of charge."""

    class Status(models.TextChoices):
        RECEIVED = "received", "受付"
        NOT_FOUND = "not_found", "該当なし"
        DISCLOSED = "disclosed", "開示済み"

    class IdentityCheck(models.TextChoices):
        CARD = "card", "個人番号カード"
        DRIVING_LICENCE = "driving_licence", "運転免許証"
        PASSPORT = "passport", "旅券"
        OTHER = "other", "その他の書類"

    received_on = models.DateField()
    identity_check = models.CharField(max_length=20, choices=IdentityCheck.choices)
    resident_code = models.CharField(max_length=11, blank=True, db_index=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.RECEIVED)
    fee = models.IntegerField(default=0)  # always 0: 開示 is free of charge (004 V)
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    disclosed_at = models.DateTimeField(null=True)
    disclosed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    form_sha256 = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"開示請求 {self.pk}"


class CorrectionRequest(models.Model):
    """訂正・追加・削除の申出 (住基法30条の35) after a disclosure, with its outcome."""

    class Outcome(models.TextChoices):
        PENDING = "pending", "調査中"
        CORRECTED = "corrected", "訂正済み（市町村へ通知）"
        NOT_CORRECTED = "not_corrected", "訂正しない"

    disclosure = models.ForeignKey(DisclosureRequest, on_delete=models.PROTECT, related_name="corrections")
    items = models.JSONField(default=list)  # item codes the person says are wrong
    note = models.CharField(max_length=400, blank=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, default=Outcome.PENDING)
    outcome_note = models.CharField(max_length=400, blank=True)
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    received_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True)

    def __str__(self) -> str:
        return f"訂正の申出 {self.pk}"

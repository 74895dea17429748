"""電子申請 (引越しワンストップ 転出届) received from the national e-application service (standard 7.2.5-a).

``ElectronicApplication``: one 転出届 signed with the applicant's 個人番号カード, as received (the signed
items and the signature, kept as evidence), with the applicant matched by the card's 住民票コード.
``ElectronicApplicationDecision``: what a clerk made of it after examining it: a 転出 draft (仮登録,
reviewed and committed like any other) or a refusal with its reason. Both append-only: a decision is
made once and never rewritten; a discarded draft puts the application back on the list.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models


class ElectronicApplication(models.Model):
    """One e-application as received and verified (personal data: never in URLs, only its 受付番号)."""

    receipt_number = models.CharField("受付番号", max_length=32, unique=True)
    kind = models.CharField("手続", max_length=20)
    received_at = models.DateTimeField("受付日時")
    applicant = models.ForeignKey("registry.Resident", on_delete=models.PROTECT, related_name="+")
    # 宛名番号 of the people who move, as the applicant's household stood when it was received.
    atena_numbers = models.JSONField("異動する方の宛名番号")
    movers = models.CharField("異動する方", max_length=10)
    planned_date = models.DateField("転出予定日")
    destination = models.CharField("転出先", max_length=100)
    destination_municipality_code = models.CharField("転入予定地市町村コード", max_length=6, blank=True)
    # The signed items as relayed and the card's signature over them (jukinet.common.e_application).
    signed_items = models.JSONField("署名された申請内容")
    signature = models.CharField("カードの署名", max_length=100)
    # The 署名用電子証明書's serial (the 利用者証明用 one for an application received before it).
    certificate_serial = models.CharField("電子証明書シリアル番号", max_length=16)
    message_id = models.CharField("照会メッセージID", max_length=64)

    class Meta:
        verbose_name = "電子申請"
        verbose_name_plural = "電子申請"
        indexes: ClassVar = [models.Index(fields=["received_at", "id"], name="registry_eapp_received_idx")]

    def __str__(self) -> str:
        return f"電子申請 {self.receipt_number}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise ValueError("受け付けた電子申請は変更できません。")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ValueError("受け付けた電子申請は削除できません。")


class ElectronicApplicationDecision(models.Model):
    """A clerk's decision on one e-application: the 転出 draft it became, or its refusal."""

    class Outcome(models.TextChoices):
        DRAFTED = "drafted", "仮登録済"
        REFUSED = "refused", "不受理"

    # Several only when a draft it became was discarded: the application is then examined again.
    application = models.ForeignKey(ElectronicApplication, on_delete=models.PROTECT, related_name="decisions")
    outcome = models.CharField("処理結果", max_length=10, choices=Outcome.choices)
    change = models.ForeignKey(
        "registry.Change", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField("理由", max_length=200, blank=True)
    decided_at = models.DateTimeField("処理日時")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = "電子申請の処理"
        verbose_name_plural = "電子申請の処理"

    def __str__(self) -> str:
        return f"電子申請の処理 {self.get_outcome_display()}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise ValueError("電子申請の処理結果は変更できません。")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ValueError("電子申請の処理結果は削除できません。")


class MoveInPlan(models.Model):
    """A 転入予定連絡 received from a 転出元 (引越しワンストップ): who plans to move in here, and when.

    Kept until the 転入 is committed here (``arrived``) or 30 days after the planned date (``expired``);
    then the people's items are cleared and the row stays with when and why (as a held 転出証明書情報).
    """

    class State(models.TextChoices):
        WAITING = "waiting", "転入待ち"
        ARRIVED = "arrived", "転入済み"
        EXPIRED = "expired", "期限経過"

    receipt_number = models.CharField("受付番号（転出元）", max_length=32)
    from_municipality_code = models.CharField("転出元市町村コード", max_length=6)
    planned_date = models.DateField("転入予定日")
    drop_on = models.DateField("消去日")  # the planned date + 30 days
    items = models.JSONField("連絡内容")  # destination, from_address, movers (jukinet.common.move_in_plan)
    received_at = models.DateTimeField("受信日時")
    message_id = models.CharField("電文ID", max_length=64, unique=True)
    state = models.CharField("状態", max_length=10, choices=State.choices, default=State.WAITING)
    closed_at = models.DateTimeField("終了日時", null=True, blank=True)

    class Meta:
        verbose_name = "転入予定連絡"
        verbose_name_plural = "転入予定連絡"
        indexes: ClassVar = [models.Index(fields=["state", "planned_date"], name="registry_move_in_plan_idx")]

    def __str__(self) -> str:
        return f"転入予定連絡 {self.pk}"


class MoveInPlanPerson(models.Model):
    """The 住民票コード of one person of a waiting 転入予定連絡, to find it when their 転入 is committed.
    Deleted with the plan's items when it closes."""

    plan = models.ForeignKey(MoveInPlan, on_delete=models.CASCADE, related_name="people")
    resident_code = models.CharField("住民票コード", max_length=11, db_index=True)

    class Meta:
        verbose_name = "転入予定者"
        verbose_name_plural = "転入予定者"

    def __str__(self) -> str:
        return f"転入予定者 {self.pk}"

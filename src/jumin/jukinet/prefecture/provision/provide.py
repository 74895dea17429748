"""Individual provision and transfer on the 業務端末 (system.md F19a, P4).

The operator belongs to a requesting body and picks one of its bases; the answer holds only the
basis's items (the 個人番号 only with 特定個人情報 access as well). A person not in this prefecture
may be looked up at the national node. Every request is logged (ProvisionRecord), refused ones too.
A 4情報 search that fits more than one person provides nothing: the operator must narrow it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from jumin.accounts.authorization import AccessRefused, authorize, has_permission
from jumin.accounts.context import audit_context, current_terminal_id
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction, Outcome
from jumin.audit.services import record_event, record_results
from jumin.domain.errors import DomainError, refusal
from jumin.jukinet.prefecture import selectors
from jumin.jukinet.prefecture.provision import national
from jumin.jukinet.prefecture.provision.bodies import body_of
from jumin.jukinet.prefecture.provision.items import ITEMS, IdentityView
from jumin.jukinet.prefecture.provision.keys import (
    BY_FOUR_ITEMS,
    BY_INDIVIDUAL_NUMBER,
    BY_RESIDENT_CODE,
    SearchKey,
    check_key,
)
from jumin.jukinet.prefecture.provision.log import log_refusal, new_record, number_index
from jumin.jukinet.prefecture.provision.models import LegalBasis, ProvisionRecord

ACTION = AuditAction.PROVISION_SUPPLY
CHANNEL = ProvisionRecord.Channel.INDIVIDUAL


@dataclass(frozen=True)
class ProvisionResult:
    """What the terminal shows: the outcome, the item labels and each provided person's items."""

    outcome: str
    item_codes: list[str]
    persons: list[dict[str, str]] = field(default_factory=list)
    match_count: int = 0

    @property
    def item_labels(self) -> list[str]:
        """Japanese column headings of the provided items."""
        return [ITEMS[code] for code in self.item_codes]


def allowed_items(actor: Any, basis: LegalBasis) -> list[str]:
    """The basis's items; the 個人番号 only for an operator who also holds 特定個人情報 access (C-9)."""
    codes = [code for code in ITEMS if code in basis.allowed_items]
    if "individual_number" in codes and not has_permission(actor, Permission.INDIVIDUAL_NUMBER_ACCESS):
        codes.remove("individual_number")
    return codes


def _refuse(
    *, actor: Any, basis: LegalBasis | None, key: SearchKey | None, purpose: str, reason: str
) -> None:
    """Log (ProvisionRecord REFUSED) and audit a refused request, each surviving the raise that follows."""
    log_refusal(actor=actor, basis=basis, channel=CHANNEL, key=key, reason=reason)
    with transaction.atomic():
        record_event(
            actor=actor,
            action=ACTION,
            purpose=purpose,
            subject_type="legal_basis" if basis is not None else "",
            subject_id=str(basis.pk) if basis is not None else "",
            outcome=Outcome.REFUSED,
            outcome_reason=reason,
            query_summary=key.by if key is not None else "",
            **audit_context(),
        )


def _basis_for(actor: Any, basis_id: int, purpose: str) -> LegalBasis:
    """The operator's own active basis, or a logged and audited refusal."""
    basis = LegalBasis.objects.select_related("body").filter(pk=basis_id, is_active=True).first()
    body = body_of(actor)
    if basis is None or body is None or basis.body_id != body.pk or not basis.body.is_active:
        _refuse(actor=actor, basis=basis, key=None, purpose=purpose, reason="basis_not_allowed")
        raise refusal(
            "basis",
            "この事務による提供・移転は認められていません。",
            "所属する提供先に登録された事務を選んでください。",
            "provision.basis_not_allowed",
        )
    return basis


def _search(key: SearchKey) -> list[IdentityView]:
    """The local candidates, their 個人番号 still sealed (decrypted only for the persons provided)."""
    if key.by == BY_RESIDENT_CODE:
        return list(selectors.views_by_resident_codes([key.resident_code]).values())
    if key.by == BY_INDIVIDUAL_NUMBER:
        index = number_index(key)
        return selectors.views_by_number_indexes([index]).get(index, [])
    return selectors.search_four_item_views(
        name=key.name,
        name_kana=key.name_kana,
        birth_date=key.birth_date,
        sex=key.sex,
        address=key.address,
    )


def _audit_provided(
    actor: Any,
    basis: LegalBasis,
    key: SearchKey,
    purpose: str,
    outcome: str,
    provided: list[IdentityView],
    rows: list[ProvisionRecord],
    number_used: bool,
) -> None:
    """One entry naming every person provided: their records in the prefecture store, or (for a
    national answer, held nowhere here) the provision log rows that name them."""
    local = all(person.record_id for person in provided)
    record_results(
        actor,
        "prefecture_identity" if local else "provision_record",
        [str(person.record_id) for person in provided] if local else [str(row.pk) for row in rows],
        purpose,
        key.by,
        action=ACTION,
        reason=f"legal_basis={basis.pk} outcome={outcome}",
        individual_number_used=number_used,
    )


def provide(
    *, actor: Any, basis_id: int, key: SearchKey, purpose: str, ask_national: bool = False
) -> ProvisionResult:
    """Search, provide the allowed items and log it; refusals are logged and audited, then raised.

    ``ask_national`` forwards a search that found nobody here to the national node (F19a step 3).
    """
    try:
        authorize(actor=actor, permission=Permission.PROVISION_PROVIDE, action=ACTION, purpose=purpose)
        if key.by == BY_INDIVIDUAL_NUMBER:
            authorize(
                actor=actor, permission=Permission.INDIVIDUAL_NUMBER_ACCESS, action=ACTION, purpose=purpose
            )
    except AccessRefused as refused:
        log_refusal(actor=actor, basis=None, channel=CHANNEL, key=key, reason=refused.reason_code)
        raise
    basis = _basis_for(actor, basis_id, purpose)
    try:
        key = check_key(key)
    except DomainError as error:
        _refuse(actor=actor, basis=basis, key=key, purpose=purpose, reason=error.code)
        raise
    items = allowed_items(actor, basis)
    people = _search(key)
    outcome = ProvisionRecord.Outcome.PROVIDED
    if not people and ask_national:
        people = national.ask_national(
            key=key, actor=actor, purpose=purpose, terminal_id=current_terminal_id()
        )
        outcome = ProvisionRecord.Outcome.NATIONAL
    if not people:
        outcome = ProvisionRecord.Outcome.NOT_FOUND
    elif len(people) > 1 and key.by == BY_FOUR_ITEMS:
        outcome = ProvisionRecord.Outcome.MULTIPLE
    provided = (
        people if outcome in (ProvisionRecord.Outcome.PROVIDED, ProvisionRecord.Outcome.NATIONAL) else []
    )
    if outcome == ProvisionRecord.Outcome.PROVIDED and "individual_number" in items:
        provided = selectors.reveal(provided)  # only the persons provided are decrypted
    with transaction.atomic():
        if provided:
            rows = [
                new_record(
                    actor=actor,
                    basis=basis,
                    channel=CHANNEL,
                    key=key,
                    outcome=outcome,
                    resident_code=person.resident_code,
                    items=items,
                )
                for person in provided
            ]
        else:
            rows = [new_record(actor=actor, basis=basis, channel=CHANNEL, key=key, outcome=outcome)]
        ProvisionRecord.objects.bulk_create(rows)
        number_used = key.by == BY_INDIVIDUAL_NUMBER or "individual_number" in items
        if provided:
            _audit_provided(actor, basis, key, purpose, str(outcome), provided, rows, number_used)
        else:
            record_event(
                actor=actor,
                action=ACTION,
                purpose=purpose,
                subject_type="legal_basis",
                subject_id=str(basis.pk),
                outcome_reason=str(outcome),
                individual_number_used=number_used,
                query_summary=key.by,
                result_count=0,
                **audit_context(),
            )
    return ProvisionResult(
        outcome=str(outcome),
        item_codes=items,
        persons=[person.items(items) for person in provided],
        match_count=len(people),
    )

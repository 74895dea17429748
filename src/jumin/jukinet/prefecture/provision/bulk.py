"""一括提供 on the 代表端末 (system.md F19b, P3): condition list → result file → registered medium.

The output needs the two-stage media-output approval (所属長, then 情報主管課長) of
jumin.accounts.approvals, naming the registered encrypted medium; the run records the media output
(what, how many persons, who, when, which medium, file hash), one BulkRun and one ProvisionRecord per
condition row. Matching is set-based: one query per chunk of keys of each kind, never one per row.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from jumin.accounts.approvals import approved_request, record_media_output
from jumin.accounts.authorization import AccessRefused, authorize, has_permission
from jumin.accounts.context import audit_context
from jumin.accounts.models import ApprovalRequest
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event
from jumin.crypto.individual_number import blind_index
from jumin.crypto.keys import get_keyring
from jumin.domain.errors import refusal
from jumin.jukinet.prefecture.provision import conditions, source
from jumin.jukinet.prefecture.provision.conditions import ConditionRow
from jumin.jukinet.prefecture.provision.items import ITEMS, IdentityView
from jumin.jukinet.prefecture.provision.keys import BY_FOUR_ITEMS, BY_INDIVIDUAL_NUMBER, BY_RESIDENT_CODE
from jumin.jukinet.prefecture.provision.log import BulkLogRow, insert_bulk_log, log_refusal
from jumin.jukinet.prefecture.provision.models import BulkRun, LegalBasis, ProvisionRecord

ACTION = AuditAction.PROVISION_BULK_RUN
CHANNEL = ProvisionRecord.Channel.BULK
_OUTCOMES = {
    conditions.FOUND: ProvisionRecord.Outcome.PROVIDED,
    conditions.NOT_FOUND: ProvisionRecord.Outcome.NOT_FOUND,
    conditions.MULTIPLE: ProvisionRecord.Outcome.MULTIPLE,
    conditions.ERROR: ProvisionRecord.Outcome.ERROR,
}


@dataclass(frozen=True)
class BulkResult:
    """The run's log row and the result file to write to the medium (never stored by Jumin)."""

    run: BulkRun
    content: bytes
    filename: str


@dataclass
class _Outcome:
    row: ConditionRow
    status: str
    person: IdentityView | None = None
    index: str = ""


def _match(rows: list[ConditionRow], *, with_number: bool, may_search_number: bool) -> list[_Outcome]:
    """Each row's status and person, from a handful of set queries (P10)."""
    keyring = get_keyring()
    indexes: dict[int, str] = {}
    for position, row in enumerate(rows):
        if row.key is not None and row.key.by == BY_INDIVIDUAL_NUMBER:
            if not may_search_number:
                row.error_code, row.error_message = (
                    "E08",
                    "個人番号による検索には特定個人情報のアクセス権限が必要です。",
                )
                row.key = None
            else:
                indexes[position] = blind_index(row.key.individual_number, keyring=keyring)
    keys = [row.key for row in rows if row.key is not None]
    # Candidates are read without decrypting; only the persons provided are decrypted, at the end.
    by_code = source.by_resident_codes({key.resident_code for key in keys if key.by == BY_RESIDENT_CODE})
    by_index = source.by_number_indexes(set(indexes.values()))
    by_birth = source.born_on({key.birth_date for key in keys if key.by == BY_FOUR_ITEMS and key.birth_date})
    outcomes: list[_Outcome] = []
    for position, row in enumerate(rows):
        key = row.key
        if key is None:
            outcomes.append(_Outcome(row, conditions.ERROR))
            continue
        if key.by == BY_RESIDENT_CODE:
            person = by_code.get(key.resident_code)
            candidates = [person] if person is not None else []
        elif key.by == BY_INDIVIDUAL_NUMBER:
            candidates = by_index.get(indexes[position], [])
        else:
            pool = by_birth.get(key.birth_date, []) if key.birth_date else None
            candidates = (
                [
                    view
                    for view in pool
                    if source.four_item_matches(
                        view,
                        name=key.name,
                        name_kana=key.name_kana,
                        birth_date=key.birth_date,
                        sex=key.sex,
                        address=key.address,
                    )
                ]
                if pool is not None
                # Name and address only: no birth date to group by, one search for this row.
                else source.search_four_items(
                    name=key.name,
                    name_kana=key.name_kana,
                    birth_date="",
                    sex=key.sex,
                    address=key.address,
                    limit=2,
                )
            )
        if not candidates:
            outcomes.append(_Outcome(row, conditions.NOT_FOUND, index=indexes.get(position, "")))
        elif len(candidates) > 1:
            outcomes.append(_Outcome(row, conditions.MULTIPLE, index=indexes.get(position, "")))
        else:
            outcomes.append(_Outcome(row, conditions.FOUND, candidates[0], indexes.get(position, "")))
    if with_number:
        found = [outcome for outcome in outcomes if outcome.person is not None]
        for outcome, person in zip(found, source.reveal([o.person for o in found if o.person]), strict=True):
            outcome.person = person
    return outcomes


def _result_lines(outcomes: list[_Outcome], items: list[str]) -> list[list[str]]:
    lines = []
    for outcome in outcomes:
        values = outcome.person.items(items) if outcome.person is not None else {}
        lines.append(
            [
                outcome.row.row_number,
                outcome.status,
                outcome.row.error_code,
                outcome.row.error_message,
                *(values.get(code, "") for code in items),
            ]
        )
    return lines


def _check_approval(*, actor: Any, approval_id: int, medium_id: str, purpose: str, count: int = 0) -> None:
    """Refuse before writing anything when the approval is unusable or too small.

    The refusal goes through the approvals service itself (outside any transaction of ours), so it is
    audited there and survives; a usable approval is left untouched.
    """
    approval = approved_request(actor=actor, approval_id=approval_id, kind=ApprovalRequest.Kind.MEDIA_OUTPUT)
    usable = approval is not None and approval.medium is not None and approval.medium.medium_id == medium_id
    if not usable or (approval is not None and count > approval.max_count):
        record_media_output(
            actor=actor,
            approval_id=approval_id,
            medium_id=medium_id,
            description="一括提供",
            record_count=count,
            file_sha256="0" * 64,
            purpose=purpose,
        )  # raises RuleRefused (audited) for an unusable approval or a count beyond it


def run_bulk(
    *, actor: Any, basis_id: int, approval_id: int, medium_id: str, content: bytes, purpose: str
) -> BulkResult:
    """Run a condition list for one requesting body's basis and write everything down (F19b)."""
    try:
        authorize(actor=actor, permission=Permission.PROVISION_BULK, action=ACTION, purpose=purpose)
    except AccessRefused as refused:
        log_refusal(actor=actor, basis=None, channel=CHANNEL, key=None, reason=refused.reason_code)
        raise
    basis = LegalBasis.objects.select_related("body").filter(pk=basis_id, is_active=True).first()
    if basis is None or not basis.body.is_active:
        raise refusal(
            "basis",
            "提供先の事務が見つかりません。",
            "登録済みの事務を選んでください。",
            "provision.basis_unknown",
        )
    _check_approval(actor=actor, approval_id=approval_id, medium_id=medium_id, purpose=purpose)
    rows = conditions.parse_conditions(content)
    number_access = has_permission(actor, Permission.INDIVIDUAL_NUMBER_ACCESS)
    items = [code for code in ITEMS if code in basis.allowed_items]
    if not number_access and "individual_number" in items:
        items.remove("individual_number")
    outcomes = _match(rows, with_number="individual_number" in items, may_search_number=number_access)
    result = conditions.write_result(_result_lines(outcomes, items), items)
    digest = hashlib.sha256(result).hexdigest()
    counts = dict.fromkeys(_OUTCOMES, 0)
    for outcome in outcomes:
        counts[outcome.status] += 1
    found = counts[conditions.FOUND]
    _check_approval(actor=actor, approval_id=approval_id, medium_id=medium_id, purpose=purpose, count=found)
    with transaction.atomic():
        output = record_media_output(
            actor=actor,
            approval_id=approval_id,
            medium_id=medium_id,
            description=f"一括提供 {basis.body.code}/{basis.code}",
            record_count=counts[conditions.FOUND],
            file_sha256=digest,
            purpose=purpose,
        )
        run = BulkRun.objects.create(
            operator=actor,
            body=basis.body,
            basis=basis,
            approval_id=approval_id,
            medium_id=medium_id,
            media_output_id=output.pk,
            row_count=len(rows),
            found_count=counts[conditions.FOUND],
            not_found_count=counts[conditions.NOT_FOUND],
            multiple_count=counts[conditions.MULTIPLE],
            error_count=counts[conditions.ERROR],
            condition_sha256=hashlib.sha256(content).hexdigest(),
            result_sha256=digest,
        )
        insert_bulk_log(
            actor=actor,
            basis=basis,
            run=run,
            items=items,
            rows=[
                BulkLogRow(
                    search_kind=outcome.row.key.by if outcome.row.key is not None else "",
                    resident_code=outcome.person.resident_code if outcome.person is not None else "",
                    number_index=outcome.index,
                    provided=outcome.person is not None,
                    outcome=_OUTCOMES[outcome.status].value,
                    reason=outcome.row.error_code,
                    row_number=int(outcome.row.row_number) if outcome.row.row_number.isdigit() else None,
                )
                for outcome in outcomes
            ],
        )
        record_event(
            actor=actor,
            action=ACTION,
            purpose=purpose,
            subject_type="bulk_run",
            subject_id=str(run.pk),
            individual_number_used=bool(indexes_used(outcomes)) or "individual_number" in items,
            result_count=counts[conditions.FOUND],
            after_digest=digest,
            **audit_context(),
        )
    return BulkResult(run=run, content=result, filename=f"provision_result_{run.pk}.csv")


def indexes_used(outcomes: list[_Outcome]) -> int:
    """How many rows searched by 個人番号 (for the audit entry's 個人番号 flag)."""
    return sum(1 for outcome in outcomes if outcome.index)

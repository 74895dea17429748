"""一括提供 on the 代表端末 (system.md F19b, P3): condition list → result file → registered medium.

The output needs the two-stage media-output approval (所属長, then 情報主管課長) of
jumin.accounts.approvals, naming the registered encrypted medium; the run records the media output
(what, how many persons, who, when, which medium, file hash), one BulkRun and one ProvisionRecord per
condition row. Matching is set-based: one query per chunk of keys of each kind, never one per row.
"""

from __future__ import annotations

import bisect
import hashlib
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from jumin.accounts.approvals import check_media_output, record_media_output
from jumin.accounts.authorization import AccessRefused, authorize, has_permission
from jumin.accounts.context import audit_context
from jumin.accounts.errors import RuleRefused
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction, Outcome
from jumin.audit.services import record_event
from jumin.crypto.individual_number import blind_index
from jumin.crypto.keys import get_keyring
from jumin.domain.errors import DomainError, refusal
from jumin.jukinet.common.keys import kana_key, name_key
from jumin.jukinet.prefecture import selectors
from jumin.jukinet.prefecture.provision import conditions
from jumin.jukinet.prefecture.provision.conditions import ConditionRow
from jumin.jukinet.prefecture.provision.items import ITEMS, IdentityView
from jumin.jukinet.prefecture.provision.keys import (
    BY_FOUR_ITEMS,
    BY_INDIVIDUAL_NUMBER,
    BY_RESIDENT_CODE,
    SearchKey,
)
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


class _Pools:
    """The set reads 4情報 rows are matched in: by birth date, else by the stored name or reading key.

    A name or reading group can hold thousands of records, so each is sorted by address once and a
    row's address prefix is found by bisection, not by a scan per row.
    """

    def __init__(self, keys: list[SearchKey]) -> None:
        four = [key for key in keys if key.by == BY_FOUR_ITEMS]
        undated = [key for key in four if not key.birth_date]
        self.by_birth = selectors.views_by_column(
            "birth_date", {key.birth_date for key in four if key.birth_date}
        )
        self.by_name = selectors.views_by_column(
            "name_key", {name_key(key.name) for key in undated if key.name.strip()}
        )
        self.by_kana = selectors.views_by_column(
            "kana_key", {kana_key(key.name_kana) for key in undated if not key.name.strip()} - {""}
        )
        self._sorted: dict[tuple[str, str], tuple[list[str], list[IdentityView]]] = {}

    def _by_address(
        self, kind: str, group: str, views: list[IdentityView]
    ) -> tuple[list[str], list[IdentityView]]:
        if (kind, group) not in self._sorted:
            ordered = sorted(views, key=lambda view: view.address)
            self._sorted[kind, group] = ([view.address for view in ordered], ordered)
        return self._sorted[kind, group]

    def candidates(self, key: SearchKey) -> list[IdentityView]:
        """The records a 4情報 row could match (then checked with the store's rule)."""
        if key.birth_date:
            return self.by_birth.get(key.birth_date, [])
        kind, group = ("name", name_key(key.name)) if key.name.strip() else ("kana", kana_key(key.name_kana))
        views = (self.by_name if kind == "name" else self.by_kana).get(group, [])
        if not key.address:
            return views
        addresses, ordered = self._by_address(kind, group, views)
        first = bisect.bisect_left(addresses, key.address)
        last = first
        while last < len(addresses) and addresses[last].startswith(key.address):
            last += 1
        return ordered[first:last]


def _match(rows: list[ConditionRow], *, with_number: bool, may_search_number: bool) -> list[_Outcome]:
    """Each row's status and person, from a handful of set queries (P10).

    4情報 rows are grouped by birth date, or (without one) by the stored name key or reading key:
    one IN query per chunk of each group's keys, never one per row. Matching is the store's own
    rule (jukinet.prefecture.selectors.four_items_match).
    """
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
    by_code = selectors.views_by_resident_codes(
        {key.resident_code for key in keys if key.by == BY_RESIDENT_CODE}
    )
    by_index = selectors.views_by_number_indexes(set(indexes.values()))
    pools = _Pools(keys)
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
            candidates = [
                view
                for view in pools.candidates(key)
                if selectors.four_items_match(
                    view,
                    name=key.name,
                    name_kana=key.name_kana,
                    birth_date=key.birth_date,
                    sex=key.sex,
                    address=key.address,
                )
            ]
        if not candidates:
            outcomes.append(_Outcome(row, conditions.NOT_FOUND, index=indexes.get(position, "")))
        elif len(candidates) > 1:
            outcomes.append(_Outcome(row, conditions.MULTIPLE, index=indexes.get(position, "")))
        else:
            outcomes.append(_Outcome(row, conditions.FOUND, candidates[0], indexes.get(position, "")))
    if with_number:
        found = [outcome for outcome in outcomes if outcome.person is not None]
        for outcome, person in zip(
            found, selectors.reveal([o.person for o in found if o.person]), strict=True
        ):
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


def _refuse(
    *,
    actor: Any,
    basis: LegalBasis | None,
    purpose: str,
    reason: str,
    action: AuditAction = ACTION,
    subject_type: str = "",
    subject_id: str = "",
) -> None:
    """Log (ProvisionRecord REFUSED) and audit a refused run, each surviving the exception raised next."""
    log_refusal(actor=actor, basis=basis, channel=CHANNEL, key=None, reason=reason)
    with transaction.atomic():
        record_event(
            actor=actor,
            action=action,
            purpose=purpose,
            subject_type=subject_type,
            subject_id=subject_id,
            outcome=Outcome.REFUSED,
            outcome_reason=reason,
            **audit_context(),
        )


def _check_approval(
    *, actor: Any, basis: LegalBasis, approval_id: int, medium_id: str, purpose: str, count: int = 0
) -> None:
    """Refuse before writing anything when the approval is unusable or too small (nothing is used up).

    The refusal is logged and audited as the media-output refusal it is (C-27, C-28).
    """
    try:
        check_media_output(actor=actor, approval_id=approval_id, medium_id=medium_id, count=count)
    except RuleRefused as refused:
        _refuse_output(
            actor=actor, basis=basis, approval_id=approval_id, purpose=purpose, reason=refused.reason_code
        )
        raise


def _refuse_output(*, actor: Any, basis: LegalBasis, approval_id: int, purpose: str, reason: str) -> None:
    _refuse(
        actor=actor,
        basis=basis,
        purpose=purpose,
        reason=reason,
        action=AuditAction.MEDIA_OUTPUT_RECORD,
        subject_type="approval",
        subject_id=str(approval_id),
    )


def run_bulk(
    *, actor: Any, basis_id: int, approval_id: int, medium_id: str, content: bytes, purpose: str
) -> BulkResult:
    """Run a condition list for one requesting body's basis and write everything down (F19b)."""
    try:
        authorize(actor=actor, permission=Permission.PROVISION_BULK, action=ACTION, purpose=purpose)
        # The media output is recorded inside the run's transaction: check its permission up front.
        authorize(actor=actor, permission=Permission.OUTPUT_BULK_REQUEST, action=ACTION, purpose=purpose)
    except AccessRefused as refused:
        log_refusal(actor=actor, basis=None, channel=CHANNEL, key=None, reason=refused.reason_code)
        raise
    basis = LegalBasis.objects.select_related("body").filter(pk=basis_id, is_active=True).first()
    if basis is None or not basis.body.is_active:
        _refuse(actor=actor, basis=basis, purpose=purpose, reason="provision.basis_unknown")
        raise refusal(
            "basis",
            "提供先の事務が見つかりません。",
            "登録済みの事務を選んでください。",
            "provision.basis_unknown",
        )
    _check_approval(actor=actor, basis=basis, approval_id=approval_id, medium_id=medium_id, purpose=purpose)
    try:
        rows = conditions.parse_conditions(content)
    except DomainError as error:
        _refuse(actor=actor, basis=basis, purpose=purpose, reason=error.code)
        raise
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
    _check_approval(
        actor=actor, basis=basis, approval_id=approval_id, medium_id=medium_id, purpose=purpose, count=found
    )
    try:
        run = _write_run(
            actor=actor,
            basis=basis,
            approval_id=approval_id,
            medium_id=medium_id,
            purpose=purpose,
            content=content,
            rows=rows,
            outcomes=outcomes,
            items=items,
            counts=counts,
            digest=digest,
        )
    except RuleRefused as refused:  # the approval was used meanwhile: the whole run is rolled back
        _refuse_output(
            actor=actor, basis=basis, approval_id=approval_id, purpose=purpose, reason=refused.reason_code
        )
        raise
    return BulkResult(run=run, content=result, filename=f"provision_result_{run.pk}.csv")


def _write_run(
    *,
    actor: Any,
    basis: LegalBasis,
    approval_id: int,
    medium_id: str,
    purpose: str,
    content: bytes,
    rows: list[ConditionRow],
    outcomes: list[_Outcome],
    items: list[str],
    counts: dict[str, int],
    digest: str,
) -> BulkRun:
    """Record the media output (using the approval up), the run, its log rows and the audit entry."""
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
    return run


def indexes_used(outcomes: list[_Outcome]) -> int:
    """How many rows searched by 個人番号 (for the audit entry's 個人番号 flag)."""
    return sum(1 for outcome in outcomes if outcome.index)

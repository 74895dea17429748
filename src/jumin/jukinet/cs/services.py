"""本人確認情報の更新 at the 市町村CS (system.md M3 item 1, F13 steps 1–3).

``accept_updates`` runs inside every registry commit (performance.md P3), so it stays cheap: one
locking read for the batch, one version insert and one current-row write per person, and for a
notifiable change either one outbox message (``IDENTITY_UPDATE`` to the prefecture, in the same
transaction) or one 送信待ち row when the prefecture is not a configured peer. A registry commit never
fails because no peer is configured (single-node demo, registry tests).
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from jumin import fixed_sql
from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event
from jumin.bulk_insert import insert_objects
from jumin.domain.checkdigits import lgcode_check_digit
from jumin.jukinet.common.catalogue import IDENTITY_UPDATE
from jumin.jukinet.common.notice import (
    IdentityNotice,
    NoticeReason,
    consistency_digest,
    notice_from_payload,
)
from jumin.jukinet.cs import unified_characters
from jumin.jukinet.cs.models import CsIdentity, CsIdentityVersion, PendingNotice, RecordStatus, UnlinkedUpdate
from jumin.jukinet.cs.persons import link_former_code, person_ids
from jumin.jukinet.cs.updates import CsUpdateRequest, check_request, gaiji_count, seion_kana
from jumin.messaging import conf
from jumin.messaging.envelope import NodeRef
from jumin.messaging.identity import IdentityError
from jumin.messaging.services import enqueue

logger = logging.getLogger("jumin.jukinet.cs")

NATIONAL = NodeRef("national", "00")
RETENTION_YEARS = 150  # history and removed persons (controls.md C-70)
SUBJECT_TYPE = "cs_identity"


def prefecture_of(municipality_code: str) -> NodeRef:
    """The 都道府県サーバ of a municipality: 都道府県コード + 000 with its check digit (長崎県 = 420000)."""
    body = f"{municipality_code[:2]}000"
    return NodeRef("prefecture", body + lgcode_check_digit(body))


def local_municipality_code() -> str:
    """This CS's municipality code (the node's code; the settings' when the node is not set up)."""
    try:
        return conf.local_node().ref.code
    except (IdentityError, OSError, ValueError):
        return str(settings.JUMIN_NODE_CODE)


def peer_configured(ref: NodeRef) -> bool:
    """Whether ``ref`` is a configured peer of this node (False when the node has no keys yet)."""
    try:
        return conf.local_node().route_to(ref) is not None  # a shared CS receives for its members
    except (IdentityError, OSError, ValueError):
        return False


def _prefecture_peers() -> Callable[[str], bool]:
    """``peer_configured(prefecture_of(code))`` remembered per prefecture, for one batch of persons."""
    peers: dict[NodeRef, bool] = {}

    def prefecture_is_peer(municipality_code: str) -> bool:
        ref = prefecture_of(municipality_code)
        if ref not in peers:
            peers[ref] = peer_configured(ref)
        return peers[ref]

    return prefecture_is_peer


def _utc_timestamp(now: datetime) -> str:
    return now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _retain_until(day: date) -> date:
    try:
        return day.replace(year=day.year + RETENTION_YEARS)
    except ValueError:  # 29 February
        return day.replace(year=day.year + RETENTION_YEARS, day=28)


def _short_digest(values: list[Any]) -> str:
    canonical = json.dumps(values, ensure_ascii=False)
    return base64.urlsafe_b64encode(hashlib.sha256(canonical.encode("utf-8")).digest()[:16]).decode()[:22]


_NOTICE_ITEMS = (
    "resident_code",
    "name",
    "name_kana",
    "birth_date",
    "sex",
    "municipality_code",
    "aza_code",
    "address",
    "individual_number",
    "former_surname",
    "former_surname_kana",
    "removed",
)


def _items_digest(notice: IdentityNotice) -> str:
    """Digest of what a notice reports about the person; an update that leaves it equal is CS-only."""
    return _short_digest([getattr(notice, name) for name in _NOTICE_ITEMS])


def _notice_reason(
    request: CsUpdateRequest, *, created: bool, newly_removed: bool, initial_load: bool = False
) -> str:
    if initial_load and created:
        return NoticeReason.INITIAL_LOAD.value
    if request.change_reason in NoticeReason._value2member_map_:
        return request.change_reason
    # A CS-only reason that still changed a notified item is reported as the ex officio kind of change.
    if created:
        return NoticeReason.EX_OFFICIO_RECORDING.value
    if newly_removed:
        return NoticeReason.EX_OFFICIO_REMOVAL.value
    return NoticeReason.EX_OFFICIO_AMENDMENT.value


def _former_code(reason: str, former_resident_code: str) -> str:
    """The 旧住民票コード a notice carries: only that of a 住民票コードの変更 (the registry keeps the
    old code on the person afterwards, but later notices must not re-key them again)."""
    return former_resident_code if reason == NoticeReason.RESIDENT_CODE_CHANGE.value else ""


def _notice(request: CsUpdateRequest, *, reason: str, update_seq: int, timestamp: str) -> IdentityNotice:
    """The IdentityNotice of an update, validated exactly as the prefecture will validate it."""
    payload = {
        "resident_code": request.resident_code,
        "name": unified_characters.convert(request.name, field="name"),
        "name_gaiji_count": 0,
        "name_kana": request.name_kana,
        "name_kana_seion": seion_kana(request.name_kana),
        "birth_date": request.birth_date,
        "sex": request.sex,
        "municipality_code": request.municipality_code,
        "aza_code": request.aza_code,
        "address": unified_characters.convert(request.address, field="address"),
        "address_gaiji_count": 0,
        "individual_number": request.individual_number,
        "change_reason": reason,
        "change_date": request.change_date,
        "former_surname": unified_characters.convert(request.former_surname, field="former_surname"),
        "former_surname_gaiji_count": 0,
        "former_surname_kana": request.former_surname_kana,
        "gaiji_flag": False,
        "operator_id": request.operator_id,
        "terminal_id": request.terminal_id,
        "timestamp": timestamp,
        "update_seq": update_seq,
        "removed": request.removed,
        "former_resident_code": _former_code(reason, request.former_resident_code),
    }
    # 住基ネット統一文字 (std 7.1.1.1-e): converted, or refused so the update is held as CS未連携.
    for item in ("name", "address", "former_surname"):
        payload[f"{item}_gaiji_count"] = gaiji_count(str(payload[item]))
    payload["gaiji_flag"] = bool(
        payload["name_gaiji_count"] or payload["address_gaiji_count"] or payload["former_surname_gaiji_count"]
    )
    return notice_from_payload(payload)


def check_update(request: CsUpdateRequest) -> None:
    """Refuse (DomainError) a request the CS would not accept, changing nothing (F13 step 2)."""
    check_request(request)
    reason = (
        request.change_reason
        if request.change_reason in NoticeReason._value2member_map_
        else NoticeReason.EX_OFFICIO_AMENDMENT.value
    )
    _notice(request, reason=reason, update_seq=1, timestamp=_utc_timestamp(timezone.now()))


@dataclass(frozen=True)
class AcceptResult:
    """What one call did: records written, notices queued now, notices left waiting (送信待ち)."""

    accepted: int
    queued: int
    pending: int


def _version(
    request: CsUpdateRequest, notice: IdentityNotice, *, notifiable: bool, now: datetime
) -> CsIdentityVersion:
    version = CsIdentityVersion(
        resident_code=request.resident_code,
        name=request.name,
        name_gaiji_count=notice.name_gaiji_count,
        name_kana=request.name_kana,
        name_kana_seion=notice.name_kana_seion,
        birth_date=request.birth_date,
        sex=request.sex,
        municipality_code=request.municipality_code,
        aza_code=request.aza_code,
        postal_code=request.postal_code,
        address=request.address,
        address_gaiji_count=notice.address_gaiji_count,
        became_resident_date=request.became_resident_date,
        address_set_date=request.address_set_date,
        notification_date=request.notification_date,
        previous_municipality_code=request.previous_municipality_code,
        previous_address=request.previous_address,
        previous_address_gaiji_count=gaiji_count(request.previous_address),
        relationship=request.relationship,
        change_reason=request.change_reason,
        change_date=request.change_date,
        change_reason_detail=request.change_reason_detail[:40],
        former_resident_code=request.former_resident_code,
        code_in_use_date=request.code_in_use_date,
        request_number=request.request_number,
        operator_id=request.operator_id,
        terminal_id=request.terminal_id,
        update_seq=notice.update_seq,
        prospective=request.prospective,
        gaiji_flag=notice.gaiji_flag,
        record_status=RecordStatus.REMOVED if request.removed else RecordStatus.CURRENT,
        timestamp=notice.timestamp,
        former_surname=request.former_surname,
        former_surname_gaiji_count=notice.former_surname_gaiji_count,
        former_surname_kana=request.former_surname_kana,
        notifiable=notifiable,
        notice_reason=notice.change_reason if notifiable else "",
        digest=consistency_digest(notice, key=conf.local_node().consistency_key),
        retain_until=_retain_until(timezone.localdate(now)),
        created_at=now,
    )
    version.set_individual_number(request.individual_number or None)
    return version


def notice_of(version: CsIdentityVersion) -> IdentityNotice:
    """Rebuild the notice a stored version stands for (the 個人番号 is decrypted only here)."""
    payload: dict[str, Any] = {
        "resident_code": version.resident_code,
        # The CS file keeps the registry's text; the notice carries it in 住基ネット統一文字 (as _notice).
        "name": unified_characters.convert(version.name, field="name"),
        "name_gaiji_count": version.name_gaiji_count,
        "name_kana": version.name_kana,
        "name_kana_seion": version.name_kana_seion,
        "birth_date": version.birth_date,
        "sex": version.sex,
        "municipality_code": version.municipality_code,
        "aza_code": version.aza_code,
        "address": unified_characters.convert(version.address, field="address"),
        "address_gaiji_count": version.address_gaiji_count,
        "individual_number": version.get_individual_number() or "",
        "change_reason": version.change_reason,
        "change_date": version.change_date,
        "former_surname": unified_characters.convert(version.former_surname, field="former_surname"),
        "former_surname_gaiji_count": version.former_surname_gaiji_count,
        "former_surname_kana": version.former_surname_kana,
        "gaiji_flag": version.gaiji_flag,
        "operator_id": version.operator_id,
        "terminal_id": version.terminal_id,
        "timestamp": version.timestamp,
        "update_seq": version.update_seq,
        "removed": version.record_status == RecordStatus.REMOVED,
    }
    if payload["change_reason"] not in NoticeReason._value2member_map_:
        payload["change_reason"] = version.notice_reason or NoticeReason.EX_OFFICIO_AMENDMENT.value
    payload["former_resident_code"] = _former_code(payload["change_reason"], version.former_resident_code)
    return IdentityNotice(**payload)


def _send(identity: CsIdentity, notice: IdentityNotice, actor: Any) -> str:
    row = enqueue(
        message_type=IDENTITY_UPDATE,
        receiver=prefecture_of(notice.municipality_code),
        subject=identity.subject_key,
        payload=notice.as_payload(),
        actor=actor,
    )
    return str(row.message_id)


def _flush_identity(identity: CsIdentity, actor: Any, now: datetime) -> int:
    """Queue this person's waiting notices, oldest first (caller holds the identity's row lock)."""
    sent = 0
    for pending in (
        identity.pending_notices.filter(sent_at__isnull=True).select_related("version").order_by("pk")
    ):
        pending.message_id = _send(identity, notice_of(pending.version), actor)
        pending.sent_at = now
        pending.save(update_fields=["message_id", "sent_at"])
        sent += 1
    identity.has_pending = False
    return sent


@dataclass
class _Plan:
    """One request on its way into the CS file (built before the bulk inserts)."""

    request: CsUpdateRequest
    identity: CsIdentity | None
    notice: IdentityNotice
    items: str
    notifiable: bool
    version: CsIdentityVersion
    waits: bool = False

    def columns(self) -> dict[str, Any]:
        """The current row's columns after this update."""
        return {
            "current": self.version,
            "update_seq": self.notice.update_seq,
            "removed": self.request.removed,
            "municipality_code": self.request.municipality_code,
            "digest": self.version.digest,
            "items_digest": self.items,
            "name": self.request.name,
            "name_kana_seion": self.version.name_kana_seion,
            "birth_date": self.request.birth_date,
            "sex": self.request.sex,
            "address": self.request.address,
            "individual_number_index": self.version.individual_number_index,
        }


def _plan(
    request: CsUpdateRequest,
    identity: CsIdentity | None,
    timestamp: str,
    now: datetime,
    *,
    initial_load: bool = False,
) -> _Plan:
    created = identity is None
    newly_removed = request.removed and (identity is None or not identity.removed)
    update_seq = 1 if identity is None else identity.update_seq + 1
    reason = _notice_reason(request, created=created, newly_removed=newly_removed, initial_load=initial_load)
    notice = _notice(request, reason=reason, update_seq=update_seq, timestamp=timestamp)
    items = _items_digest(notice)
    notifiable = identity is None or identity.items_digest != items
    version = _version(request, notice, notifiable=notifiable, now=now)
    return _Plan(request, identity, notice, items, notifiable, version)


def _rekeyed(requests: Sequence[CsUpdateRequest], existing: dict[str, CsIdentity]) -> dict[str, CsIdentity]:
    """住民票コードの変更: the person's current row moves from the 旧住民票コード to the new code.

    Their update sequence and message stream continue, so the prefecture and the national node
    re-key the same person (the notice carries the 旧住民票コード); every earlier version keeps the
    code it was made under, so the history stays findable by the old code.
    """
    moves = {
        request.former_resident_code: request.resident_code
        for request in requests
        if request.former_resident_code
        and request.resident_code not in existing
        and request.change_reason == NoticeReason.RESIDENT_CODE_CHANGE.value
    }
    if not moves:
        return {}
    moved: dict[str, CsIdentity] = {}
    rows = CsIdentity.objects.select_for_update().filter(resident_code__in=list(moves)).order_by("pk")
    for identity in rows:
        identity.resident_code = moves[identity.resident_code]
        identity.save(update_fields=["resident_code"])
        moved[identity.resident_code] = identity
    return moved


def accept_updates(
    requests: Sequence[CsUpdateRequest],
    *,
    actor: Any,
    notify: bool = True,
    audit: bool = True,
    checked: bool = False,
    initial_load: bool = False,
    savepoint: bool = True,
) -> AcceptResult:
    """Take the registry's updates into the CS file; notify the prefecture of the notifiable ones.

    ``initial_load=True`` (``jumin cs load``): a person new to the CS file is announced with the
    異動事由 初期登録, which the prefecture and the national node record like a 転入 — they never held
    the record, and its last real change (often an amendment) would be refused for an unknown person.

    Every request is checked first (DomainError, nothing written). Each person gets a new version
    (the earlier ones stay: history) and their current row follows it. ``notify=False`` is the
    initial load (``jumin cs load --no-notify``). ``audit=False`` only for the registry commit, whose
    own audit entry in the same transaction covers the update; the versions carry 依頼管理番号,
    操作者ID, 操作端末ID and タイムスタンプ as the CS's operation log. ``savepoint=False`` only for a
    caller whose transaction fails as a whole when this raises (the registry commit, which catches
    nothing from it): the two statements of a savepoint are left out (performance.md P3).
    """
    if not checked:  # the registry link checks each request itself, to list the refused ones
        for request in requests:
            check_update(request)
    if not requests:
        return AcceptResult(0, 0, 0)
    if len({request.resident_code for request in requests}) < len(requests):
        # The same person twice in one batch: take the updates one after the other, in order.
        results = [
            accept_updates(
                [r],
                actor=actor,
                notify=notify,
                audit=audit,
                checked=True,
                initial_load=initial_load,
                savepoint=savepoint,
            )
            for r in requests
        ]
        return AcceptResult(
            accepted=len(requests),
            queued=sum(result.queued for result in results),
            pending=sum(result.pending for result in results),
        )
    now = timezone.now()
    timestamp = _utc_timestamp(now)
    queued = pending = 0
    with transaction.atomic(savepoint=savepoint):
        codes = [request.resident_code for request in requests]
        # The statement's text is compiled once per number of people (fixed_sql, P3).
        locked = fixed_sql.instances(
            ("cs.accept_updates.identities", len(codes)),
            codes,
            lambda: CsIdentity.objects.select_for_update().filter(resident_code__in=codes).order_by("pk"),
        )
        existing = {identity.resident_code: identity for identity in locked}
        existing.update(_rekeyed(requests, existing))
        # Few statements whatever the household size (performance.md P3): the versions, the new
        # current rows and the waiting notices are each one bulk insert.
        plans = [
            _plan(request, existing.get(request.resident_code), timestamp, now, initial_load=initial_load)
            for request in requests
        ]
        insert_objects([plan.version for plan in plans])
        prefecture_is_peer = _prefecture_peers()
        created: list[CsIdentity] = []
        for plan in plans:
            plan.waits = notify and plan.notifiable and not prefecture_is_peer(plan.request.municipality_code)
            if plan.identity is None:
                plan.identity = CsIdentity(
                    resident_code=plan.request.resident_code, has_pending=plan.waits, **plan.columns()
                )
                created.append(plan.identity)
            else:
                for name, value in plan.columns().items():
                    setattr(plan.identity, name, value)
        insert_objects(created)
        new_rows = {id(identity) for identity in created}
        waiting: list[PendingNotice] = []
        for plan in plans:
            identity = plan.identity
            assert identity is not None
            if plan.waits:
                waiting.append(PendingNotice(identity=identity, version=plan.version, created_at=now))
                identity.has_pending = True
            elif notify and plan.notifiable:
                if identity.has_pending:
                    queued += _flush_identity(identity, actor, now)
                _send(identity, plan.notice, actor)
                queued += 1
            if id(identity) not in new_rows:  # a new row was inserted complete, has_pending included
                identity.save(update_fields=[*plan.columns(), "has_pending"])
        insert_objects(waiting)
        pending = len(waiting)
        for request in requests:
            # A 住民票コードの変更: one person under both codes (the registry keeps the 旧住民票コード on
            # later updates too, which need no link again).
            if request.former_resident_code and request.change_reason == NoticeReason.RESIDENT_CODE_CHANGE:
                link_former_code(request.former_resident_code, request.resident_code)
        if audit:
            record_event(
                actor=actor,
                action=AuditAction.CS_IDENTITY_UPDATE,
                subject_type=SUBJECT_TYPE,
                subject_id=requests[0].request_number if len(requests) == 1 else "",
                reason=f"updates {len(requests)} queued {queued} pending {pending}",
                individual_number_used=any(request.individual_number for request in requests),
                result_count=len(requests),
                concerning=person_ids(codes),
            )
    return AcceptResult(accepted=len(requests), queued=queued, pending=pending)


def accept_update(request: CsUpdateRequest, *, actor: Any) -> AcceptResult:
    """Take one update (see ``accept_updates``); audited."""
    return accept_updates([request], actor=actor)


def identity_count() -> int:
    """How many persons the CS file holds (0 before the initial load, ``jumin cs load``)."""
    return CsIdentity.objects.count()


def current_request_numbers(resident_codes: Sequence[str]) -> dict[str, str]:
    """The 依頼管理番号 of each person's current version, by 住民票コード (persons not held: absent)."""
    return dict(
        CsIdentity.objects.filter(resident_code__in=list(resident_codes)).values_list(
            "resident_code", "current__request_number"
        )
    )


def record_unlinked(request_numbers: Sequence[tuple[str, str, str]]) -> None:
    """Note registry updates that did not reach the CS (CS未連携): (依頼管理番号, reason code, field)."""
    if not request_numbers:
        return
    now = timezone.now()
    UnlinkedUpdate.objects.bulk_create(
        UnlinkedUpdate(request_number=number[:64], reason_code=code[:64], field=field[:64], created_at=now)
        for number, code, field in request_numbers
    )


def send_pending_notices(*, actor: Any = None, limit: int = 10_000) -> int:
    """Queue waiting notices (送信待ち) for the prefecture in their order; returns how many were queued.

    Run by ``jumin cs send-pending`` and from the 送信待ち一覧 screen. Notices whose prefecture is
    still not a configured peer keep waiting.
    """
    now = timezone.now()
    sent = 0
    with transaction.atomic():
        identity_ids = list(
            dict.fromkeys(
                PendingNotice.objects.filter(sent_at__isnull=True)
                .order_by("pk")
                .values_list("identity_id", flat=True)[:limit]
            )
        )
        prefecture_is_peer = _prefecture_peers()
        notified: list[str] = []
        for identity in CsIdentity.objects.select_for_update().filter(pk__in=identity_ids).order_by("pk"):
            if not prefecture_is_peer(identity.municipality_code):
                continue
            sent += _flush_identity(identity, actor, now)
            notified.append(identity.resident_code)
            identity.save(update_fields=["has_pending"])
        if sent:
            record_event(
                actor=actor,
                action=AuditAction.CS_NOTICE_SEND,
                subject_type=SUBJECT_TYPE,
                reason=f"pending notices queued {sent}",
                individual_number_used=True,
                result_count=sent,
                concerning=person_ids(notified),
            )
    return sent

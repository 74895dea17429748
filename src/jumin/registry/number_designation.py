"""個人番号の指定 when a commit newly records a 住民票コード (番号法 第7条第1項; system.md F06 steps 3–4).

Two commits give a person a 住民票コード for the first time: the 出生 of a newborn and the 国外転入等
of someone who never had one here (a Japanese national born abroad who never lived in Japan, a
foreign resident's first registration under 住基法30条の46/47). For each such row ``assign`` asks the
national node, through the CS relay (``request_individual_number`` with ``change=False``, the 個人番号
生成要求), for the person's number and puts it on the committed row (encrypted, with the blind index)
in the commit's transaction, so the CS update carries it and ``cs_link.forward_committed`` stores the
送付先情報 for the 個人番号通知書 (F15). The relay audits the request (``cs:individual_number:request``)
and the national node the issue, both naming the person.

A row qualifies only when its 住民票コード was taken from the pool in this very commit and it has no
個人番号: a person returning from abroad keeps the code and number found on their 除票 (or typed from
the 転出証明書), and no second number is ever asked for.

If the national node is a configured peer but cannot be reached or refuses, the commit is refused
and nothing changes (no 住民票 without the number it must carry; the code goes back to the pool);
``refusal_audited``, wrapped around the commit's transaction, records the refusal once the
transaction has rolled back, and lists the unanswered requests as 送信エラー for a re-send
(``registry.number_requests``, std 7.1.1.1-c). During the manual-link mode no request is sent: the
commit goes through without the number and the request waits 手動連携待ち. A registry with no national
peer at all (no 住基ネット link, e.g. a standalone test set-up) commits without a number, as before.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.views.decorators.debug import sensitive_variables

from jumin.audit.actions import AuditAction, Outcome
from jumin.audit.services import record_event
from jumin.domain.errors import DomainError, refusal
from jumin.domain.resident import ChangeReason, ResidentStatus
from jumin.jukinet.cs import number_requests
from jumin.jukinet.cs import services as cs_services
from jumin.jukinet.cs.number_requests import Kind
from jumin.jukinet.cs.relays import request_individual_number
from jumin.registry.models import Change, NumberChangeRecord, ResidentSnapshot


@dataclass(frozen=True)
class _Wording:
    """How a refused commit names the person and its error codes, per 異動事由."""

    who: str  # 「出生した方」
    unreachable: str
    refused: str


_WORDING: dict[str, _Wording] = {
    ChangeReason.BIRTH: _Wording(
        "出生した方", "registry.birth_number_node_unreachable", "registry.birth_number_refused"
    ),
    ChangeReason.MOVE_IN_FROM_ABROAD: _Wording(
        "国外から転入した方", "registry.move_in_number_node_unreachable", "registry.move_in_number_refused"
    ),
}
#: Every error code of a refused designation (``refusal_audited`` audits these).
REFUSAL_CODES = frozenset(code for w in _WORDING.values() for code in (w.unreachable, w.refused))


def _node_refused(error: DomainError, wording: _Wording) -> DomainError:
    if error.code.startswith("messaging."):
        return refusal(
            "change_id",
            f"全国サーバ（地方公共団体情報システム機構）に接続できないため、{wording.who}の個人番号を指定できませんでした。",
            "住民票は記載されていません。時間をおいて本登録をやり直してください。",
            wording.unreachable,
        )
    # The national node's own refusal (e.g. an unknown 住民票コード): its text has no personal data.
    return refusal(
        "change_id",
        f"全国サーバが{wording.who}の個人番号の生成要求を受け付けませんでした（{error.reason}）。",
        "住民票は記載されていません。住民票コードの在庫を確認してください。",
        wording.refused,
    )


def needs_number(change: Change, snapshot: ResidentSnapshot, newly_coded: Collection[int]) -> bool:
    """Whether this committed row needs a new 個人番号: a 出生 or 国外転入等, living, whose 住民票コード
    this commit took from the pool (``newly_coded``: those rows' ids), and no number yet."""
    return (
        change.reason in _WORDING
        and snapshot.status == ResidentStatus.RESIDENT
        and bool(snapshot.juminhyo_code)
        and snapshot.pk in newly_coded
        and snapshot.individual_number is None
    )


@sensitive_variables()
def assign(
    change: Change,
    committed: Sequence[ResidentSnapshot],
    *,
    newly_coded: Collection[int],
    actor: Any,
    purpose: str,
) -> int:
    """Give each person of a 出生 or 国外転入等 commit who newly got a 住民票コード their 個人番号;
    returns how many were assigned.

    Call inside the commit's transaction, after the rows took their 住民票コード (``newly_coded``:
    the ids of the rows that took one from the pool) and before the CS update. Other changes, and
    rows that already carry a number: nothing, no query.
    """
    wording = _WORDING.get(change.reason)
    if wording is None:
        return 0
    due = [snapshot for snapshot in committed if needs_number(change, snapshot, newly_coded)]
    if not due:
        return 0
    if number_requests.manual_mode_active():
        # 手動連携: committed without the number; the clerk enters it from the CS terminal (7.1.1.1-c).
        number_requests.record_manual([request_target(change, snapshot) for snapshot in due])
        return 0
    if not cs_services.peer_configured(cs_services.NATIONAL):
        return 0
    for snapshot in due:
        try:
            number = request_individual_number(
                snapshot.juminhyo_code,
                change=False,
                actor=actor,
                purpose=purpose,
                target=request_target(change, snapshot),
            )
        except DomainError as error:
            raise _node_refused(error, wording) from None
        snapshot.set_individual_number(number)
        snapshot.save(update_fields=["individual_number", "individual_number_index"])
    return len(due)


def request_target(change: Change, snapshot: ResidentSnapshot) -> number_requests.RequestTarget:
    """The CS request-list key of one person's 個人番号 request in ``change`` (its reason: the 異動事由,
    or for a 個人番号の変更 the 請求・職権の別)."""
    kind = Kind.CHANGE if change.reason == ChangeReason.INDIVIDUAL_NUMBER_CHANGE else Kind.GENERATION
    reason = change.reason
    if kind == Kind.CHANGE:
        basis = NumberChangeRecord.objects.filter(change_id=change.pk).values_list("basis", flat=True).first()
        reason = basis or reason
    return number_requests.RequestTarget(
        change_id=change.pk,
        row_id=snapshot.pk,
        kind=kind,
        reason=str(reason),
        resident_code=snapshot.juminhyo_code,
    )


#: The error codes of a commit refused because the national node did not answer a 個人番号 request.
NODE_REFUSAL_CODES = REFUSAL_CODES | {
    "registry.individual_number_node_unreachable",
    "registry.individual_number_change_refused",
}


def _record_failed(change_id: int, code: str) -> None:
    """List the refused commit's requests as 送信エラー (after the rollback), for a re-send."""
    change = Change.objects.filter(pk=change_id).first()
    if change is None:
        return
    rows = change.snapshots.filter(status=ResidentStatus.RESIDENT).order_by("pk")
    if change.reason != ChangeReason.INDIVIDUAL_NUMBER_CHANGE:
        rows = rows.filter(individual_number__isnull=True)
    # A birth's row has no 住民票コード yet (it went back to the pool with the rollback): "".
    number_requests.record_failed([request_target(change, row) for row in rows], code=code)


@contextmanager
def refusal_audited(change_id: int, *, actor: Any, purpose: str) -> Iterator[None]:
    """Audit a commit refused for a new 個人番号 (outside, after the rolled-back transaction).

    Wrap it around the commit's ``transaction.atomic()``: the refusal happens inside, where any entry
    would be rolled back with the rest. Other errors pass through unrecorded here.
    """
    try:
        yield
    except DomainError as error:
        if error.code in NODE_REFUSAL_CODES:
            _record_failed(change_id, error.code)
        if error.code in REFUSAL_CODES:
            record_event(
                actor=actor,
                action=AuditAction.RESIDENT_CHANGE_COMMIT,
                subject_type="change",
                subject_id=str(change_id),
                purpose=purpose,
                outcome=Outcome.REFUSED,
                outcome_reason=error.code,
            )
        raise

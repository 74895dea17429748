"""個人番号の指定 at the 出生 commit (番号法 第7条第1項; system.md F06 steps 3–4).

When the 本登録 of a 出生 gives the newborn a 住民票コード, ``assign`` asks the national node, through
the CS relay (``request_individual_number`` with ``change=False``, the 個人番号 生成要求), for the
child's number and puts it on the committed row (encrypted, with the blind index) in the commit's
transaction, so the CS update (異動事由 出生) carries it and ``cs_link.forward_committed`` stores the
送付先情報 for the 個人番号通知書 (F15). The relay audits the request (``cs:individual_number:request``)
and the national node the issue, both naming the person.

If the national node is a configured peer but cannot be reached or refuses, the commit is refused
and nothing changes (no 住民票 without the number it must carry); ``refusal_audited``, wrapped
around the commit's transaction, records the refusal once the transaction has rolled back. A
registry with no national peer at all (no 住基ネット link, e.g. a standalone test set-up) commits
without a number, as before.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.views.decorators.debug import sensitive_variables

from jumin.audit.actions import AuditAction, Outcome
from jumin.audit.services import record_event
from jumin.domain.errors import DomainError, refusal
from jumin.domain.resident import ChangeReason, ResidentStatus
from jumin.jukinet.cs import services as cs_services
from jumin.jukinet.cs.relays import request_individual_number
from jumin.registry.models import Change, ResidentSnapshot

UNREACHABLE = "registry.birth_number_node_unreachable"
REFUSED = "registry.birth_number_refused"


def _node_refused(error: DomainError) -> DomainError:
    if error.code.startswith("messaging."):
        return refusal(
            "change_id",
            "全国サーバ（地方公共団体情報システム機構）に接続できないため、出生した方の個人番号を指定できませんでした。",
            "住民票は記載されていません。時間をおいて本登録をやり直してください。",
            UNREACHABLE,
        )
    # The national node's own refusal (e.g. an unknown 住民票コード): its text has no personal data.
    return refusal(
        "change_id",
        f"全国サーバが個人番号の生成要求を受け付けませんでした（{error.reason}）。",
        "住民票は記載されていません。住民票コードの在庫を確認してください。",
        REFUSED,
    )


def needs_number(change: Change, snapshot: ResidentSnapshot) -> bool:
    """Whether this committed row is a newborn that still needs its 個人番号 (出生, living, coded)."""
    return (
        change.reason == ChangeReason.BIRTH
        and snapshot.status == ResidentStatus.RESIDENT
        and bool(snapshot.juminhyo_code)
        and snapshot.individual_number is None
    )


@sensitive_variables()
def assign(change: Change, committed: Sequence[ResidentSnapshot], *, actor: Any, purpose: str) -> int:
    """Give each newborn of a 出生 commit its 個人番号; returns how many were assigned.

    Call inside the commit's transaction, after the rows took their 住民票コード and before the CS
    update. Other changes: nothing, no query.
    """
    if change.reason != ChangeReason.BIRTH:
        return 0
    due = [snapshot for snapshot in committed if needs_number(change, snapshot)]
    if not due or not cs_services.peer_configured(cs_services.NATIONAL):
        return 0
    for snapshot in due:
        try:
            number = request_individual_number(
                snapshot.juminhyo_code, change=False, actor=actor, purpose=purpose
            )
        except DomainError as error:
            raise _node_refused(error) from None
        snapshot.set_individual_number(number)
        snapshot.save(update_fields=["individual_number", "individual_number_index"])
    return len(due)


@contextmanager
def refusal_audited(change_id: int, *, actor: Any, purpose: str) -> Iterator[None]:
    """Audit a commit refused for the newborn's 個人番号 (outside, after the rolled-back transaction).

    Wrap it around the commit's ``transaction.atomic()``: the refusal happens inside, where any entry
    would be rolled back with the rest. Other errors pass through unrecorded here.
    """
    try:
        yield
    except DomainError as error:
        if error.code in (UNREACHABLE, REFUSED):
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

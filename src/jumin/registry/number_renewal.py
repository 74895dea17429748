"""本登録 of a 個人番号の変更 (system.md F22 step 2b; docs/workflows/number-changes.md).

``services.commit_change`` calls ``authorize_commit`` before its transaction and
``new_individual_numbers`` inside it, once the draft is locked and still a draft: for a
個人番号の変更 draft it asks the national node, through the CS relay (``request_individual_number``
with ``change=True``), for each person's new number. If the node cannot be reached or refuses, the
commit is refused with a Japanese message and nothing in the registry changes (no half-change).
Inside the commit's transaction ``store_individual_numbers`` puts the new numbers on the draft
rows (encrypted, with the blind index) just before they become current, so the old number stays
only in the history rows and the CS update built from the committed rows carries the new one.

After the CS update, ``send_addresses`` stores each person's 送付先情報 at the CS so the new
個人番号通知書 is printed (F22 step 4, ``registry.sending_addresses``); one the CS refuses is listed as
CS未連携 and does not undo the change (the national node has already replaced the number).

Every other change passes through untouched: one comparison, no query.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.views.decorators.debug import sensitive_variables

from jumin.accounts.authorization import authorize
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction
from jumin.domain.errors import DomainError, refusal
from jumin.domain.resident import ChangeReason
from jumin.jukinet.cs import number_requests
from jumin.jukinet.cs.relays import request_individual_number
from jumin.registry import number_designation, sending_addresses
from jumin.registry.models import Change, Resident, ResidentSnapshot


def _node_refused(error: DomainError) -> DomainError:
    if error.code.startswith("messaging."):
        return refusal(
            "change_id",
            "全国サーバ（地方公共団体情報システム機構）に接続できないため、個人番号を変更できませんでした。",
            "住民票は変更されていません。時間をおいて本登録をやり直してください。",
            "registry.individual_number_node_unreachable",
        )
    # The national node's own refusal (e.g. an unknown 住民票コード): its text has no personal data.
    return refusal(
        "change_id",
        f"全国サーバが個人番号の変更を受け付けませんでした（{error.reason}）。",
        "住民票は変更されていません。住民票コードを確認してください。",
        "registry.individual_number_change_refused",
    )


def authorize_commit(change: Change, *, actor: Any, purpose: str) -> None:
    """The committing clerk of a 個人番号の変更 needs 特定個人情報アクセス権限 too (controls.md C-9).

    Call before the commit's transaction, so that a refusal's audit entry stays. Other changes: nothing.
    """
    if change.reason != ChangeReason.INDIVIDUAL_NUMBER_CHANGE:
        return
    authorize(
        actor=actor,
        permission=Permission.INDIVIDUAL_NUMBER_ACCESS,
        action=AuditAction.RESIDENT_CHANGE_COMMIT,
        purpose=purpose,
        subject_type="change",
        subject_id=str(change.pk),
    )


@sensitive_variables()
def new_individual_numbers(change: Change, *, actor: Any, purpose: str) -> dict[int, str]:
    """The new 個人番号 of each draft row of a 個人番号の変更 (by snapshot id); {} for other changes.

    Call inside the commit's transaction, once the draft is locked and known to be still a draft
    (after ``authorize_commit``). The people's rows are locked here, and a draft whose person has
    changed since is refused before the node issues a number that would go unused.
    """
    if change.reason != ChangeReason.INDIVIDUAL_NUMBER_CHANGE:
        return {}
    rows = list(change.snapshots.order_by("pk"))
    # The same row locks, in the same order, as the commit takes next (no deadlock, no stale read).
    last = dict(
        Resident.objects.select_for_update(of=("self",))
        .filter(pk__in=[row.resident_id for row in rows])
        .order_by("pk")
        .values_list("pk", "current__history_no")
    )
    numbers: dict[int, str] = {}
    manual = number_requests.manual_mode_active()
    for row in rows:
        if last.get(row.resident_id) is None or last[row.resident_id] != row.based_on_history_no:
            raise refusal(
                "change_id",
                "この異動の入力後に、同じ住民の別の異動が本登録されました。",
                "この異動を破棄し、最新の住民票から入力し直してください。",
                "registry.stale_draft",
            )
        if manual:
            continue
        try:
            numbers[row.pk] = request_individual_number(
                row.juminhyo_code,
                change=True,
                actor=actor,
                purpose=purpose,
                target=number_designation.request_target(change, row),
            )
        except DomainError as error:
            raise _node_refused(error) from None
    if manual:
        # 手動連携 (std 7.1.1.1-c): the old number is abolished with this change, so the new rows carry
        # none until the clerk enters the new one from the CS terminal.
        number_requests.record_manual([number_designation.request_target(change, row) for row in rows])
        for row in rows:
            row.set_individual_number(None)
            row.save(update_fields=["individual_number", "individual_number_index"])
    return numbers


@sensitive_variables()
def store_individual_numbers(numbers: dict[int, str]) -> None:
    """Put the new numbers on their draft rows (call inside the commit's transaction)."""
    for row in ResidentSnapshot.objects.filter(pk__in=list(numbers)):
        row.set_individual_number(numbers[row.pk])
        row.save(update_fields=["individual_number", "individual_number_index"])


def send_addresses(change: Change, committed: Sequence[ResidentSnapshot], *, actor: Any) -> None:
    """送付先情報 for the new 個人番号通知書 of each person of a committed 個人番号の変更 (F22 step 4).

    Call inside the commit's transaction, after the CS update. Other changes: nothing.
    """
    if change.reason != ChangeReason.INDIVIDUAL_NUMBER_CHANGE:
        return
    # A row without its new number (manual-link mode) gets its notice when the number is entered.
    numbered = [row for row in committed if row.individual_number is not None]
    sending_addresses.produce_many(numbered, reason=change.reason, actor=actor)

"""本登録 of a change the system makes and commits at once (no second clerk decides anything new).

The daily batch's 転出予定日到来 (``registry.batch``) and the 個人番号の記載 after 手動連携
(``registry.number_requests``) record a fact already decided elsewhere (a reviewed 転出, the national
node's number), so their maker is also their reviewer. ``commit_directly`` does for their draft rows
what ``services.commit_change`` does for any commit: the next 履歴番号 after the person's current
row, the current pointer, the search keys, the outbox event with the CS update, the lock released
and the change marked 本登録. The rows before stay as they are (history is appended).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.utils import timezone

from jumin.registry import locks, outbox
from jumin.registry.models import Change, ChangeState, Resident, ResidentSnapshot
from jumin.registry.models_review import LockRelease
from jumin.registry.search_keys import rebuild_search_keys_many


def commit_directly(change: Change, rows: Sequence[tuple[Resident, ResidentSnapshot]], *, actor: Any) -> None:
    """Commit ``change``, whose draft rows each follow their person's current row (call inside the
    caller's transaction, the people locked); ``actor`` is recorded as the reviewer."""
    committed = []
    for resident, snapshot in rows:
        current = resident.current
        assert current is not None  # a committed person
        assert current.history_no is not None
        snapshot.history_no = current.history_no + 1
        snapshot.save(update_fields=["history_no"])
        resident.current = snapshot
        resident.archive_entry = None  # a committed row is live again (1.1.5-e)
        resident.save(update_fields=["current", "archive_entry"])
        snapshot.resident = resident
        committed.append(snapshot)
    rebuild_search_keys_many([(snapshot.resident, snapshot) for snapshot in committed])
    outbox.append_events(change, committed)  # and the 市町村CS's update (cs_link.forward_committed)
    locks.release_for_change(change, LockRelease.COMMITTED, actor)
    change.state = ChangeState.COMMITTED
    change.reviewed_by = actor
    change.reviewed_at = timezone.now()
    change.save(update_fields=["state", "reviewed_by", "reviewed_at"])

"""宛名連携 feed (standard 7.2.3-a): full and delta CSV, MJ characters as registered, audited extracts."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

import pytest

from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.atena import selectors, services
from jumin.atena.feed import HEADER, FeedRow, write_csv
from jumin.audit.models import AuditEntry
from jumin.registry.services import DraftRecorded, commit_change, record_move_in
from jumin.registry.workflows.move_out import record_move_out
from tests.atena.conftest import FEED_PURPOSE
from tests.helpers.permission_matrix import assert_permission_triple
from tests.registry.conftest import PURPOSE, family_move_in, person
from tests.registry.test_move_out import move_out
from tests.registry.test_restrictions import officer, suppress

pytestmark = pytest.mark.django_db
__all__ = ["officer"]  # the fixture, imported for use here

IVS_SURNAME = "葛\U000e0100城"  # 葛 with its IVS selector: kept, and outside JIS X 0213 as a pair


@pytest.fixture
def family(clerk: User, code_pool: list[str], commit: Callable[[DraftRecorded], DraftRecorded]) -> list[str]:
    return list(commit(record_move_in(actor=clerk, purpose=PURPOSE, move_in=family_move_in())).atena_numbers)


def by_person(rows: tuple[FeedRow, ...] | list[FeedRow]) -> dict[str, list[str]]:
    """Newest cells per 宛名番号, applying rows in order (what a receiver does with a delta)."""
    latest: dict[str, list[str]] = {}
    for row in rows:
        latest[row.atena_number] = row.cells()
    return latest


def test_full_at_t2_equals_full_at_t1_with_the_deltas_applied(
    family: list[str], clerk: User, reviewer: User, officer: User, feed_account: User
) -> None:
    services.sync_until_caught_up()
    first = selectors.full_extract(actor=feed_account, purpose=FEED_PURPOSE)
    assert len(first.rows) == 3
    draft = record_move_out(actor=clerk, purpose=PURPOSE, move_out=move_out([family[2]]))
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    suppress(officer, family[0])
    services.sync_until_caught_up()
    delta = selectors.delta_extract(actor=feed_account, purpose=FEED_PURPOSE, since=first.cursor)
    second = selectors.full_extract(actor=feed_account, purpose=FEED_PURPOSE)
    assert [r.event_type for r in delta.rows] == ["resident.moved_out", "resident.restriction_set"]
    assert delta.cursor == second.cursor
    assert delta.complete
    assert {**by_person(first.rows), **by_person(delta.rows)} == by_person(second.rows)
    assert by_person(second.rows) != by_person(first.rows)
    # A full extract as of the old cursor is the first one again (history is appended, never changed).
    again = selectors.full_extract(actor=feed_account, purpose=FEED_PURPOSE, as_of=first.cursor)
    assert by_person(again.rows) == by_person(first.rows)
    head = by_person(second.rows)[family[0]]
    assert head[HEADER.index("抑止")] == "1"
    assert head[HEADER.index("支援措置")] == "0"


def test_a_delta_stops_at_its_limit_and_gives_the_cursor_to_go_on_from(
    family: list[str], feed_account: User
) -> None:
    services.sync_until_caught_up()
    part = selectors.delta_extract(actor=feed_account, purpose=FEED_PURPOSE, since=0, limit=2)
    assert (len(part.rows), part.complete) == (2, False)
    rest = selectors.delta_extract(actor=feed_account, purpose=FEED_PURPOSE, since=part.cursor, limit=2)
    assert (len(rest.rows), rest.complete) == (1, True)
    assert {r.atena_number for r in (*part.rows, *rest.rows)} == set(family)


def test_characters_are_written_as_registered_and_those_outside_jis_x_0213_are_named(
    clerk: User, code_pool: list[str], commit: Callable[[DraftRecorded], DraftRecorded], feed_account: User
) -> None:
    move_in = family_move_in(members=[person(surname=IVS_SURNAME, hittousha=f"{IVS_SURNAME} 太郎")])
    commit(record_move_in(actor=clerk, purpose=PURPOSE, move_in=move_in))
    services.sync_until_caught_up()
    extract = selectors.full_extract(actor=feed_account, purpose=FEED_PURPOSE)
    content = write_csv(extract.rows).decode("utf-8")
    rows = list(csv.reader(io.StringIO(content)))
    assert rows[0] == list(HEADER)
    assert rows[1][HEADER.index("氏")] == IVS_SURNAME
    assert rows[1][HEADER.index("外字位置")] == "氏:1;世帯主氏名:1"  # the person heads the household
    assert "個人番号" not in HEADER  # in-house systems key on the 統合宛名番号 or the 宛名番号


def test_each_extract_is_audited_with_its_purpose_and_kind(family: list[str], feed_account: User) -> None:
    services.sync_until_caught_up()
    selectors.full_extract(actor=feed_account, purpose=FEED_PURPOSE)
    selectors.delta_extract(actor=feed_account, purpose=FEED_PURPOSE, since=0)
    entries = AuditEntry.objects.filter(action="atena:feed:extract").order_by("seq")
    assert [(e.purpose, e.query_summary, e.result_count, e.outcome) for e in entries] == [
        (FEED_PURPOSE, "full", 3, "done"),
        (FEED_PURPOSE, "delta", 3, "done"),
    ]
    assert all(e.actor_id == feed_account.pk for e in entries)


def test_the_feed_api_answers_csv_with_the_cursor_and_needs_the_feed_right(
    family: list[str], make_staff: Callable[..., object]
) -> None:
    services.sync_until_caught_up()
    for url in ("/api/atena/feed/full", "/api/atena/feed/delta"):
        assert_permission_triple(
            make_staff,
            "post",
            url,
            Permission.ATENA_FEED_EXTRACT,
            data={"purpose": FEED_PURPOSE},
            content_type="application/json",
        )
    client = make_staff([Permission.ATENA_FEED_EXTRACT])
    answer = client.post(  # type: ignore[attr-defined]
        "/api/atena/feed/delta", {"purpose": FEED_PURPOSE, "since": 0}, content_type="application/json"
    )
    assert answer["Content-Type"] == "text/csv; charset=utf-8"
    assert answer["X-Atena-Complete"] == "1"
    lines = answer.content.decode("utf-8").splitlines()
    assert len(lines) == 4
    assert answer["X-Atena-Cursor"] == lines[-1].split(",")[0]

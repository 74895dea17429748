"""EUC joins and computed columns (standard 10.1-a/b): the person's 世帯 as it is now, the latest
戸籍附票記載事項通知, 在留期間の残り日数, 住民となった日からの年数, and card events as rows (docs/euc.md)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.utils import timezone

from jumin.accounts.authorization import AccessRefused
from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.domain.errors import DomainError
from jumin.domain.resident import ResidentKind
from jumin.registry.cards import CardEventInput, CardEventKind, record_card_event
from jumin.registry.euc import services
from jumin.registry.euc.definition import parse_definition
from jumin.registry.euc.writers import OutputFormat
from jumin.registry.models_fuhyo import FuhyoNoticeOutbox
from jumin.registry.services import DraftRecorded, record_move_in
from tests.registry.conftest import PURPOSE, family_move_in, person
from tests.registry.test_cards import card_clerk
from tests.registry.test_euc import csv_rows, euc_clerk, run
from tests.registry.test_removed_archive import remove

pytestmark = pytest.mark.django_db
__all__ = ["card_clerk", "euc_clerk"]  # fixtures, imported for use here


@pytest.fixture
def field_clerk(make_clerk: Callable[..., User]) -> User:
    """EUC with the field-view rights of 本籍 and 在留資格 (10.4-a)."""
    return make_clerk(
        "euc-fields",
        Permission.EUC_EXTRACT,
        Permission.FIELD_HONSEKI_VIEW,
        Permission.FIELD_RESIDENCE_STATUS_VIEW,
    )


@pytest.fixture
def foreign_household(
    clerk: User, code_pool: list[str], commit: Callable[[DraftRecorded], DraftRecorded]
) -> DraftRecorded:
    """One foreign resident whose stay ends 2029-03-31 (the conftest default)."""
    member = person("グエン", "アン", "グエン", "アン", kind=ResidentKind.FOREIGN)
    return commit(record_move_in(actor=clerk, purpose=PURPOSE, move_in=family_move_in(members=[member])))


def test_household_items_join_the_household_as_it_is_now(
    family: DraftRecorded, other_household: DraftRecorded, euc_clerk: User
) -> None:
    raw = {
        "items": ["given_name", "household_head_name", "household_members"],
        "conditions": [{"item": "household_members", "op": "gt", "value": "2"}],
        "sort": [{"item": "atena_number"}],
    }
    assert csv_rows(run(euc_clerk, raw)) == [
        ["名", "世帯主の氏名", "世帯人数"],
        ["太郎", "青木\u3000太郎", "3"],
        ["花子", "青木\u3000太郎", "3"],
        ["三奈", "青木\u3000太郎", "3"],
    ]
    counted = run(euc_clerk, {"mode": "count", "group_by": "household_members"})
    assert csv_rows(counted)[1:] == [["2", "2"], ["3", "3"]]


def test_years_since_becoming_resident_are_computed_at_the_reference_date(
    family: DraftRecorded, euc_clerk: User
) -> None:
    # The family became residents on 2026-11-01: none before, 3 full years on 2029-11-01.
    later = {"items": ["given_name", "resident_years"], "reference_date": "令和11年11月1日"}
    assert {row[1] for row in csv_rows(run(euc_clerk, later))[1:]} == {"3"}
    before = {**later, "reference_date": "2026-10-31"}
    assert {row[1] for row in csv_rows(run(euc_clerk, before))[1:]} == {""}
    with pytest.raises(DomainError) as refused:
        parse_definition({"items": ["resident_years"]})
    assert refused.value.code == "euc.reference_date"


def test_days_left_of_the_stay_need_the_residence_status_permission(
    foreign_household: DraftRecorded, family: DraftRecorded, euc_clerk: User, field_clerk: User
) -> None:
    raw = {
        "items": ["given_name", "stay_days_left"],
        "conditions": [{"item": "stay_days_left", "op": "lt", "value": "1000"}],
        "reference_date": "2026-12-31",
    }
    # 2026-12-31 → 2029-03-31: 821 days; a Japanese resident has no stay and is not < 1000.
    assert csv_rows(run(field_clerk, raw))[1:] == [["アン", "821"]]
    expired = {**raw, "reference_date": "2030-01-01", "conditions": []}
    assert ["アン", "0"] in csv_rows(run(field_clerk, expired))[1:]
    with pytest.raises(AccessRefused):
        services.request_extraction(actor=euc_clerk, purpose=PURPOSE, raw=raw, output_format=OutputFormat.CSV)


def test_the_latest_fuhyo_notice_is_an_item_behind_the_honseki_permission(
    family: DraftRecorded, euc_clerk: User, field_clerk: User
) -> None:
    notices = FuhyoNoticeOutbox.objects.filter(atena_number__in=family.atena_numbers)
    assert notices.count() == 3  # the 転入 gave each a new 住所 to tell the 本籍地
    raw = {
        "items": ["given_name", "fuhyo_notice_date", "fuhyo_notice_sent"],
        "sort": [{"item": "atena_number"}],
    }
    rows = csv_rows(run(field_clerk, raw))[1:]
    assert [row[0] for row in rows] == ["太郎", "花子", "三奈"]
    created = {timezone.localdate(notice.created_at).isoformat() for notice in notices}
    assert {row[1] for row in rows} == created
    assert {row[2] for row in rows} <= {"0", "1"}
    with pytest.raises(AccessRefused):
        services.request_extraction(actor=euc_clerk, purpose=PURPOSE, raw=raw, output_format=OutputFormat.CSV)


def _card_history(card_clerk: User, head: str, wife: str) -> None:
    issued_on = date(2025, 4, 1)
    for atena in (head, wife):
        record_card_event(
            actor=card_clerk,
            purpose=PURPOSE,
            entry=CardEventInput(atena, CardEventKind.ISSUED, issued_on, expiry_date=date(2035, 4, 1)),
        )
    record_card_event(
        actor=card_clerk,
        purpose=PURPOSE,
        entry=CardEventInput(wife, CardEventKind.SUSPENDED, date(2025, 6, 1)),
    )


def test_card_events_are_rows_of_their_own_scope(
    family: DraftRecorded, euc_clerk: User, card_clerk: User
) -> None:
    head, wife, _child = family.atena_numbers
    _card_history(card_clerk, head, wife)
    raw: dict[str, Any] = {
        "scope": "card_events",
        "items": ["given_name", "card_event_card_kind", "card_event", "card_event_date", "card_event_expiry"],
    }
    assert csv_rows(run(euc_clerk, raw))[1:] == [
        ["太郎", "individual_number", "issued", "2025-04-01", "2035-04-01"],
        ["花子", "individual_number", "issued", "2025-04-01", "2035-04-01"],
        ["花子", "individual_number", "suspended", "2025-06-01", ""],
    ]
    suspended_women = {
        **raw,
        "conditions": [
            {"item": "card_event", "op": "eq", "value": "suspended"},
            {"item": "sex", "op": "eq", "value": "female"},
        ],
    }
    assert [row[0] for row in csv_rows(run(euc_clerk, suspended_women))[1:]] == ["花子"]
    per_event = run(euc_clerk, {"scope": "card_events", "mode": "count", "group_by": "card_event"})
    assert csv_rows(per_event)[1:] == [["issued", "2"], ["suspended", "1"]]


def test_card_event_items_are_refused_outside_their_scope() -> None:
    with pytest.raises(DomainError) as refused:
        parse_definition({"items": ["surname", "card_event_date"]})
    assert refused.value.code == "euc.card_event_scope"
    assert "「カード履歴（発生日）」" in refused.value.reason


def test_a_history_row_shows_its_household_as_it_was_after_its_own_change(
    family: DraftRecorded, clerk: User, reviewer: User, euc_clerk: User
) -> None:
    head, _wife, child = family.atena_numbers
    remove(clerk, reviewer, child)  # the 世帯 goes from 3 to 2 members
    remove(clerk, reviewer, head)  # and then has no 世帯主 on the registry
    raw = {
        "scope": "history",
        "items": [
            "given_name",
            "status",
            "household_number",
            "household_head_name_then",
            "household_members_then",
            "household_head_name",
            "household_members",
        ],
        "sort": [{"item": "atena_number"}, {"item": "history_no"}],
    }
    then_and_now = csv_rows(run(euc_clerk, raw))
    number, now = family.household_number, ["青木\u3000花子", "1"]  # 花子 alone, 世帯主 since
    assert then_and_now[1:] == [
        ["太郎", "resident", number, "青木\u3000太郎", "3", *now],
        # Right after 太郎's 転出: 花子 alone, not yet 世帯主 (the 世帯主変更 is a change of its own).
        ["太郎", "removed", number, "", "1", *now],
        ["花子", "resident", number, "青木\u3000太郎", "3", *now],
        ["花子", "resident", number, "青木\u3000花子", "1", *now],
        ["三奈", "resident", number, "青木\u3000太郎", "3", *now],
        ["三奈", "removed", number, "青木\u3000太郎", "2", *now],
    ]
    counted = run(euc_clerk, {"scope": "history", "mode": "count", "group_by": "household_members_then"})
    assert csv_rows(counted)[1:] == [["1", "2"], ["2", "1"], ["3", "3"]]

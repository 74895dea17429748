"""The CS's 抑止マーク (standard 3.1-g): insert-only history, the state in force, and the screens' mark."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from jumin.accounts.permissions import Permission
from jumin.domain.errors import DomainError
from jumin.jukinet.cs import services
from jumin.jukinet.cs.models import CsRestrictionMark
from jumin.jukinet.cs.restriction_marks import (
    KIND_SUPPORT_MEASURE,
    KIND_SUPPRESSION,
    MarkAction,
    MarkChange,
    lift_marks,
    marked_codes,
    record_marks,
)
from tests.jukinet.cs.factories import update
from tests.jukinet.cs.test_screens import PURPOSE, SEARCH_URL, cs_terminal, search_form

pytestmark = pytest.mark.django_db
__all__ = ["cs_terminal"]  # the fixture, imported for use here

CODE_A, CODE_B = "12345678901", "12345678902"


def mark(
    code: str, restriction_id: int, *, kind: str = KIND_SUPPRESSION, effective_from: date | None = None
) -> MarkChange:
    return MarkChange(
        resident_code=code,
        action=MarkAction.SET,
        kind=kind,
        restriction_id=restriction_id,
        effective_from=effective_from,
        operator_id="officer",
        terminal_id="t1",
    )


def lift(kind: str, restriction_id: int) -> int:
    return lift_marks(kind=kind, restriction_id=restriction_id, operator_id="officer", terminal_id="t1")


def test_a_mark_is_in_force_until_its_restriction_is_lifted_and_the_history_stays() -> None:
    record_marks([mark(CODE_A, 1), mark(CODE_B, 1)])
    record_marks([mark(CODE_A, 7, kind=KIND_SUPPORT_MEASURE)])
    assert marked_codes([CODE_A, CODE_B, "12345678903"]) == {CODE_A, CODE_B}
    assert lift(KIND_SUPPRESSION, 1) == 2
    assert marked_codes([CODE_A, CODE_B]) == {CODE_A}  # the 支援措置 7 still holds A
    assert lift(KIND_SUPPRESSION, 1) == 0  # nothing left to lift: nothing written
    assert lift(KIND_SUPPORT_MEASURE, 7) == 1
    assert marked_codes([CODE_A, CODE_B]) == set()
    rows = CsRestrictionMark.objects.order_by("pk").values_list(
        "resident_code", "action", "kind", "restriction_id"
    )
    assert list(rows) == [
        (CODE_A, "set", KIND_SUPPRESSION, 1),
        (CODE_B, "set", KIND_SUPPRESSION, 1),
        (CODE_A, "set", KIND_SUPPORT_MEASURE, 7),
        (CODE_A, "lift", KIND_SUPPRESSION, 1),
        (CODE_B, "lift", KIND_SUPPRESSION, 1),
        (CODE_A, "lift", KIND_SUPPORT_MEASURE, 7),
    ]


def test_the_same_id_under_the_other_kind_is_another_restriction() -> None:
    record_marks([mark(CODE_A, 3), mark(CODE_A, 3, kind=KIND_SUPPORT_MEASURE)])
    lift(KIND_SUPPRESSION, 3)
    assert marked_codes([CODE_A]) == {CODE_A}


def test_a_mark_set_ahead_holds_only_from_its_start_date() -> None:
    today = timezone.localdate()
    record_marks([mark(CODE_A, 1, effective_from=today + timedelta(days=2))])
    assert marked_codes([CODE_A]) == set()
    assert marked_codes([CODE_A], on=today + timedelta(days=2)) == {CODE_A}


@pytest.mark.parametrize(
    "bad", [mark("1234567890", 1), mark("1234567890X", 1), mark(CODE_A, 1, kind="reason_text")]
)
def test_a_malformed_mark_is_refused_and_nothing_is_stored(bad: MarkChange) -> None:
    with pytest.raises(DomainError) as refused:
        record_marks([mark(CODE_B, 1), bad])
    assert refused.value.code == "jukinet.cs.restriction_mark_invalid"
    assert not CsRestrictionMark.objects.exists()


def test_the_search_screen_and_api_mark_a_restricted_person_without_a_reason(
    cs_terminal: None, make_staff: Callable[..., Any]
) -> None:
    restricted, plain = update(), update()
    for request in (restricted, plain):
        services.accept_update(request, actor=None)
    record_marks([mark(restricted.resident_code, 4, kind=KIND_SUPPORT_MEASURE)])
    client = make_staff([Permission.CS_SEARCH, Permission.FIELD_JUMINHYO_CODE_VIEW])
    form = search_form("", by="four_items", name="試験", birth_date="19800401")
    page = client.post(reverse("jukinet_cs:search"), form).content.decode()
    results = page[page.index("<table") :]
    assert results.count("抑止あり") == 1
    assert "支援" not in results  # the mark never says why
    body = {
        "purpose": PURPOSE,
        "by": "four_items",
        "name": "試験",
        "birth_date": "19800401",
        "reason": "確認",
    }
    answer = client.post(SEARCH_URL, json.dumps(body), content_type="application/json").json()
    shown = {r["resident_code"]: r["restricted"] for r in answer["records"]}
    assert shown == {restricted.resident_code: True, plain.resident_code: False}

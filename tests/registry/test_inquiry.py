"""Inquiry screens: 異動履歴 timeline and enlarged glyphs (standard 2.2.1-a, 2.2.3-a; issue 5 item 4)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse

from jumin.accounts import clock
from jumin.accounts.authorization import AccessRefused
from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.domain.errors import DomainError
from jumin.registry.inquiry import glyphs_of, resident_glyphs, resident_timeline
from jumin.registry.restrictions import RestrictedProcess, RestrictionLevel
from jumin.registry.services_restrictions import (
    SuppressionReason,
    SuppressionRequest,
    SuppressionScope,
    set_suppression,
)
from tests.helpers.permission_matrix import assert_permission_triple
from tests.registry.conftest import PURPOSE, logged_in, person
from tests.registry.test_search import amend, enter

pytestmark = pytest.mark.django_db
__all__ = ["amend", "enter"]  # fixtures, imported for use here

IVS_NAME = "渡邉\U000e0100"


@pytest.fixture
def viewer(make_clerk: Callable[..., User]) -> User:
    return make_clerk("viewer", Permission.RESIDENT_VIEW)


def _last_audit() -> AuditEntry:
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry is not None
    return entry


def test_the_timeline_lists_each_change_with_the_items_that_changed(
    enter: Callable[..., str], amend: Callable[..., None], viewer: User
) -> None:
    atena = enter(person(former_surname="赤井", former_surname_kana="アカイ"))
    amend(atena, surname="緑川", surname_kana="ミドリカワ", former_surname="", former_surname_kana="")
    amend(atena, katagaki="サセボハイツ101号")

    timeline = resident_timeline(actor=viewer, purpose=PURPOSE, atena_number=atena)

    assert [entry.history_no for entry in timeline.entries] == [1, 2, 3]
    first, renamed, katagaki = timeline.entries
    assert first.change_reason == "国内転入"
    assert first.change_date == "令和8年11月1日"
    assert {c.label for c in first.changes} >= {"氏名", "フリガナ", "旧氏", "生年月日", "住所"}
    assert [(c.label, c.before, c.after) for c in renamed.changes] == [
        ("氏名", "青木 太郎", "緑川 太郎"),
        ("フリガナ", "アオキ タロウ", "ミドリカワ タロウ"),
        ("旧氏", "赤井", ""),
        ("旧氏フリガナ", "アカイ", ""),
    ]
    assert [(c.label, c.after) for c in katagaki.changes] == [("方書", "サセボハイツ101号")]
    history = [(entry.history_no, change.label, change.after) for entry, change in timeline.name_history]
    assert history == [
        (1, "旧氏", "赤井"),
        (1, "旧氏フリガナ", "アカイ"),
        (2, "旧氏", ""),
        (2, "旧氏フリガナ", ""),
    ]
    audit = _last_audit()
    assert (audit.action, audit.subject_id, audit.actor_id) == ("resident:history:view", atena, viewer.pk)


def test_the_timeline_masks_fields_the_clerk_may_not_see(
    enter: Callable[..., str], viewer: User, make_clerk: Callable[..., User]
) -> None:
    atena = enter(person())
    (first,) = resident_timeline(actor=viewer, purpose=PURPOSE, atena_number=atena).entries
    values = {change.label: change.after for change in first.changes}
    assert values["本籍"] == "＊＊＊＊"
    assert values["住民票コード"] == "＊＊＊＊"
    entitled = make_clerk("entitled", Permission.RESIDENT_VIEW, Permission.FIELD_HONSEKI_VIEW)
    (first,) = resident_timeline(actor=entitled, purpose=PURPOSE, atena_number=atena).entries
    assert {c.label: c.after for c in first.changes}["本籍"] == "長崎県佐世保市八幡町1番地"


def test_inquiry_of_an_unknown_person_or_without_permission_is_refused(
    enter: Callable[..., str], make_clerk: Callable[..., User], viewer: User
) -> None:
    with pytest.raises(DomainError) as caught:
        resident_timeline(actor=viewer, purpose=PURPOSE, atena_number="999999999")
    assert caught.value.code == "registry.resident_not_found"
    atena = enter(person())
    with pytest.raises(AccessRefused):
        resident_glyphs(actor=make_clerk("nobody"), purpose=PURPOSE, atena_number=atena)
    assert _last_audit().outcome == "refused"


def test_glyphs_keep_the_ivs_with_its_base_character(
    enter: Callable[..., str], viewer: User, make_clerk: Callable[..., User]
) -> None:
    atena = enter(person(surname=IVS_NAME, former_surname="髙橋", former_surname_kana="タカハシ"))
    names = {name.label: name for name in resident_glyphs(actor=viewer, purpose=PURPOSE, atena_number=atena)}
    assert set(names) == {"氏", "名", "旧氏"}  # 筆頭者 needs the 本籍 field permission
    watanabe, ivs = names["氏"].glyphs
    assert (watanabe.text, watanabe.code_points, watanabe.selector) == ("渡", ("U+6E21",), "")
    assert ivs.text == "邉\U000e0100"
    assert (ivs.code_points, ivs.selector, ivs.is_ivs) == (("U+9089", "U+E0100"), "VS17", True)
    assert ivs.name == "CJK UNIFIED IDEOGRAPH-9089"
    assert names["旧氏"].glyphs[0].code_points == ("U+9AD9",)
    audit = _last_audit()
    assert (audit.action, audit.subject_id) == ("resident:glyph:view", atena)
    entitled = make_clerk("entitled", Permission.RESIDENT_VIEW, Permission.FIELD_HONSEKI_VIEW)
    labels = [name.label for name in resident_glyphs(actor=entitled, purpose=PURPOSE, atena_number=atena)]
    assert "筆頭者" in labels


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("葛\U000e0101城", [("U+845B", "U+E0101"), ("U+57CE",)]),
        ("辻\ufe00", [("U+8FBB", "U+FE00")]),
        ("\u30ab\u3099", [("U+30AB", "U+3099")]),  # カ + combining voicing mark
        ("山田 太郎", [("U+5C71",), ("U+7530",), ("U+592A",), ("U+90CE",)]),
    ],
    ids=["ivs-vs18", "svs", "combining-voicing", "space-dropped"],
)
def test_glyphs_of_splits_names_into_characters(text: str, expected: list[tuple[str, ...]]) -> None:
    assert [glyph.code_points for glyph in glyphs_of(text)] == expected


def test_glyph_selector_names_distinguish_ivs_from_svs() -> None:
    (ivs,) = glyphs_of("葛\U000e0101")
    (svs,) = glyphs_of("辻\ufe00")
    assert (ivs.selector, ivs.is_ivs, svs.selector, svs.is_ivs) == ("VS18", True, "VS1", False)


def test_an_inquiry_suppression_blocks_the_timeline_and_the_glyphs(
    enter: Callable[..., str], viewer: User, make_clerk: Callable[..., User]
) -> None:
    atena = enter(person())
    set_suppression(
        actor=make_clerk("officer", Permission.SUPPRESSION_MANAGE),
        purpose=PURPOSE,
        request=SuppressionRequest(
            scope=SuppressionScope.PERSON,
            target_number=atena,
            process=RestrictedProcess.INQUIRY,
            level=RestrictionLevel.ERROR,
            start_date=clock.today(),
            reason=SuppressionReason.OTHER,
            reason_text="調査中",
        ),
    )
    for read in (resident_timeline, resident_glyphs):
        with pytest.raises(DomainError) as caught:
            read(actor=viewer, purpose=PURPOSE, atena_number=atena)
        assert caught.value.code == "registry.restricted"
    refused = AuditEntry.objects.filter(outcome="refused", outcome_reason="restricted")
    assert sorted(refused.values_list("action", flat=True)) == [
        "resident:glyph:view",
        "resident:history:view",
    ]


# --- screens and API ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["registry:timeline", "registry:glyphs"])
def test_the_inquiry_screens_follow_the_permission_triple(
    enter: Callable[..., str], make_staff: Callable[..., Any], name: str
) -> None:
    atena = enter(person())
    assert_permission_triple(
        make_staff,
        "post",
        reverse(name),
        Permission.RESIDENT_VIEW,
        data={"purpose": PURPOSE, "atena_number": atena},
    )


def test_the_inquiry_screens_show_the_timeline_and_the_glyphs(
    enter: Callable[..., str], amend: Callable[..., None], viewer: User
) -> None:
    atena = enter(person(surname=IVS_NAME, alias="", former_surname="赤井", former_surname_kana="アカイ"))
    amend(atena, former_surname="", former_surname_kana="")
    client = logged_in(viewer)
    timeline = client.post(reverse("registry:timeline"), {"purpose": PURPOSE, "atena_number": atena})
    body = timeline.content.decode()
    assert timeline.status_code == 200
    assert "旧氏・通称の履歴" in body
    assert "（削除）" in body
    assert atena not in timeline.request.get("QUERY_STRING", "")
    glyphs = client.post(reverse("registry:glyphs"), {"purpose": PURPOSE, "atena_number": atena})
    assert "U+9089 U+E0100" in glyphs.content.decode()
    assert "VS17（IVS）" in glyphs.content.decode()
    unknown = client.post(reverse("registry:glyphs"), {"purpose": PURPOSE, "atena_number": "999999999"})
    assert "該当する住民が見つかりません" in unknown.content.decode()


def test_the_inquiry_api_returns_the_timeline_and_the_glyphs(enter: Callable[..., str], viewer: User) -> None:
    atena = enter(person(surname=IVS_NAME))
    client = logged_in(viewer)
    body = json.dumps({"purpose": PURPOSE, "atena_number": atena})
    timeline = client.post("/api/registry/inquiry/timeline", data=body, content_type="application/json")
    assert timeline.status_code == 200, timeline.content
    assert [entry["history_no"] for entry in timeline.json()["entries"]] == [1]
    glyphs = client.post("/api/registry/inquiry/glyphs", data=body, content_type="application/json")
    surname = next(name for name in glyphs.json() if name["label"] == "氏")
    assert surname["glyphs"][1]["code_points"] == ["U+9089", "U+E0100"]
    missing = json.dumps({"purpose": PURPOSE, "atena_number": "999999999"})
    response = client.post("/api/registry/inquiry/glyphs", data=missing, content_type="application/json")
    assert (response.status_code, response.json()["code"]) == (400, "registry.resident_not_found")

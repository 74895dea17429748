"""附票の検索 at the 附票都道府県サーバ and QUERY_FUHYO to the 附票全国サーバ (system.md P2 4–5, N2 2–3)."""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.db import connection, transaction
from django.urls import reverse

from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.domain.errors import DomainError
from jumin.jukinet.common.catalogue import FUHYO_UPDATE
from jumin.jukinet.common.fuhyo import FUHYO_ITEMS
from jumin.jukinet.common.queries import validate_fuhyo_answer, validate_fuhyo_query
from jumin.jukinet.national.services.fuhyo import apply_fuhyo_update
from jumin.jukinet.prefecture import models as prefecture_models
from jumin.jukinet.prefecture.fuhyo_search import FuhyoKey, search_fuhyo
from jumin.messaging.testing import TestFederation
from tests.helpers.accounts import grant_permissions, make_user
from tests.helpers.permission_matrix import assert_permission_triple
from tests.jukinet.national.helpers import OTHER_PREFECTURE, PREFECTURE, envelope
from tests.jukinet.national.test_fuhyo_network import send
from tests.jukinet.prefecture.helpers import fuhyo

pytestmark = pytest.mark.django_db

PURPOSE = "prefecture_fuhyo"
TOKYO_PERSON = {
    "name": "東京　花子",
    "name_kana": "トウキョウ　ハナコ",
    "birth_date": "19900102",
    "sex": "female",
}


def query(**changes: Any) -> dict[str, Any]:
    base = {"by": "resident_code", "resident_code": fuhyo()["resident_code"], "name": "", "name_kana": "",
            "birth_date": "", "sex": "", "address": "", "include_deleted": False, "purpose": "附票照会",
            "operator_id": "pref01", "terminal_id": "P001"}  # fmt: skip
    base.update(changes)
    return base


def kept_by_tokyo(**changes: Any) -> dict[str, Any]:
    """A 附票 kept by 千代田区 (東京都), known to the national store only."""
    payload = fuhyo(fuhyo_municipality_code="131016", **TOKYO_PERSON, **changes)
    with transaction.atomic():
        apply_fuhyo_update(envelope(FUHYO_UPDATE, payload, sender=OTHER_PREFECTURE, subject="pfh-t1"))
    return payload


@pytest.fixture
def clerk() -> Any:
    user = make_user()
    grant_permissions(user, [Permission.PREFECTURE_FUHYO_VIEW])
    return user


def test_the_query_takes_a_resident_code_or_four_items_and_never_an_individual_number() -> None:
    validate_fuhyo_query(query())
    validate_fuhyo_query(query(by="four_items", resident_code="", name="試験　次郎", birth_date="19850607"))
    refused = [
        query(by="individual_number"),
        {**query(), "individual_number": "123456789018"},
        query(resident_code="12345678901"),  # wrong check digit
        query(by="four_items", resident_code="", name="試験　次郎"),  # one item only
        query(name="試験　次郎"),  # an item the key does not use
        query(purpose=""),
    ]
    for payload in refused:
        with pytest.raises(DomainError):
            validate_fuhyo_query(payload)


def test_the_answer_holds_exactly_the_18_items() -> None:
    items = {name: fuhyo()[name] for name in FUHYO_ITEMS}
    validate_fuhyo_answer({"records": [items], "truncated": False})
    assert len(FUHYO_ITEMS) == 18
    for record in ({**items, "operator_id": "clerk01"}, {**items, "individual_number": "123456789018"}):
        with pytest.raises(DomainError):
            validate_fuhyo_answer({"records": [record], "truncated": False})


def test_a_person_kept_here_is_found_in_this_prefectures_file(federation: TestFederation, clerk: Any) -> None:
    payload = fuhyo()
    send(federation, payload)
    with federation.acting_as(PREFECTURE):
        result = search_fuhyo(
            actor=clerk,
            purpose=PURPOSE,
            key=FuhyoKey(by="resident_code", resident_code=payload["resident_code"]),
        )
        by_kana = search_fuhyo(
            actor=clerk,
            purpose=PURPOSE,
            # 清音化: the reading matches without its voiced marks.
            key=FuhyoKey(by="four_items", name_kana="シケン　シロウ", birth_date=payload["birth_date"]),
        )
    assert result.answered_by == "prefecture"
    assert result.records == [{name: payload[name] for name in FUHYO_ITEMS}]
    assert [r["resident_code"] for r in by_kana.records] == [payload["resident_code"]]
    entry = AuditEntry.objects.filter(action="prefecture:fuhyo:search").order_by("seq").first()
    assert entry is not None
    assert (entry.outcome, entry.purpose, entry.query_summary, entry.result_count) == (
        "done", PURPOSE, "juminhyo_code", 1,
    )  # fmt: skip
    assert payload["resident_code"] not in entry.reason
    assert list(entry.result_subjects.values_list("subject_id", flat=True)) != []


def test_a_person_kept_by_another_prefecture_is_answered_by_the_national_node(
    federation: TestFederation, clerk: Any
) -> None:
    payload = kept_by_tokyo()
    key = FuhyoKey(by="four_items", name=TOKYO_PERSON["name"], birth_date=TOKYO_PERSON["birth_date"])
    with federation.acting_as(PREFECTURE):
        here_only = search_fuhyo(actor=clerk, purpose=PURPOSE, key=key)
        asked = search_fuhyo(actor=clerk, purpose=PURPOSE, key=key, ask_national=True)
    assert (here_only.records, here_only.answered_by) == ([], "prefecture")
    assert asked.answered_by == "national"
    assert asked.records == [{name: payload[name] for name in FUHYO_ITEMS}]
    assert "operator_id" not in asked.records[0]
    (answered,) = AuditEntry.objects.filter(action="national:fuhyo:query")
    assert (answered.outcome, answered.query_summary, answered.result_count) == ("done", "name+birth_date", 1)
    assert answered.terminal_id
    assert PREFECTURE.code in answered.reason
    assert TOKYO_PERSON["name"] not in answered.reason + answered.query_summary
    searches = AuditEntry.objects.filter(action="prefecture:fuhyo:search").order_by("seq")
    assert [e.reason.split(" include")[0] for e in searches] == [
        "answered by prefecture",
        "answered by national",
    ]


def test_the_national_node_answers_a_former_code_and_hides_deleted_records_unless_asked(
    federation: TestFederation, clerk: Any
) -> None:
    old = kept_by_tokyo()
    new_code = fuhyo()["resident_code"]
    changed = {
        **old,
        "resident_code": new_code,
        "former_resident_code": old["resident_code"],
        "notice_type": "change",
    }
    with transaction.atomic():
        apply_fuhyo_update(envelope(FUHYO_UPDATE, changed, sender=OTHER_PREFECTURE, subject="pfh-t1", seq=2))
    with federation.acting_as(PREFECTURE):
        old_key = FuhyoKey(by="resident_code", resident_code=old["resident_code"])
        by_old = search_fuhyo(actor=clerk, purpose=PURPOSE, key=old_key, ask_national=True)
    assert [r["resident_code"] for r in by_old.records] == [new_code]

    gone = {**changed, "notice_type": "delete", "state": "deleted", "former_resident_code": ""}
    with transaction.atomic():
        apply_fuhyo_update(envelope(FUHYO_UPDATE, gone, sender=OTHER_PREFECTURE, subject="pfh-t1", seq=3))
    key = FuhyoKey(by="resident_code", resident_code=new_code)
    with federation.acting_as(PREFECTURE):
        hidden = search_fuhyo(actor=clerk, purpose=PURPOSE, key=key, ask_national=True)
        with_deleted = FuhyoKey(by="resident_code", resident_code=new_code, include_deleted=True)
        shown = search_fuhyo(actor=clerk, purpose=PURPOSE, key=with_deleted, ask_national=True)
    assert hidden.records == []
    assert [r["state"] for r in shown.records] == ["deleted"]


def test_a_malformed_key_is_explained_and_nothing_is_read_or_written(clerk: Any) -> None:
    before = AuditEntry.objects.count()
    with pytest.raises(DomainError) as refused:
        search_fuhyo(actor=clerk, purpose=PURPOSE, key=FuhyoKey(by="four_items", name="試験　次郎"))
    assert refused.value.reason
    assert AuditEntry.objects.count() == before


def test_the_screen_and_the_api_need_the_permission_and_are_audited(make_staff: Callable[..., Any]) -> None:
    key = {"by": "resident_code", "resident_code": fuhyo()["resident_code"]}
    assert_permission_triple(
        make_staff, "post", reverse("jukinet_prefecture:fuhyo_search"), Permission.PREFECTURE_FUHYO_VIEW,
        data={**key, "purpose": PURPOSE},
    )  # fmt: skip
    assert_permission_triple(
        make_staff, "post", "/api/jukinet/prefecture/fuhyo/search", Permission.PREFECTURE_FUHYO_VIEW,
        data=json.dumps({**key, "purpose": PURPOSE}), content_type="application/json",
    )  # fmt: skip


def test_the_screen_lists_the_items_found(federation: TestFederation, make_staff: Callable[..., Any]) -> None:
    payload = fuhyo()
    send(federation, payload)
    client = make_staff(permissions=[Permission.PREFECTURE_FUHYO_VIEW])
    with federation.acting_as(PREFECTURE):
        page = client.post(
            reverse("jukinet_prefecture:fuhyo_search"),
            {"by": "resident_code", "resident_code": payload["resident_code"], "purpose": PURPOSE},
        )
    text = page.content.decode()
    assert page.status_code == 200
    assert payload["name"] in text
    assert payload["last_address"] in text
    assert "当都道府県の附票" in text
    assert "<td>男</td>" in text
    assert "<td>現存</td>" in text


def test_the_migration_fills_the_reading_key_of_each_held_fuhyo(federation: TestFederation) -> None:
    payload = fuhyo()
    send(federation, payload)
    held = prefecture_models.FuhyoRecord.objects.filter(resident_code=payload["resident_code"])
    expected = held.get().kana_key
    assert expected
    held.update(kana_key="")
    migration = importlib.import_module("jumin.jukinet.prefecture.migrations.0003_fuhyo_kana_key")
    migration.fill_kana_keys(django_apps, SimpleNamespace(connection=connection))
    assert held.get().kana_key == expected

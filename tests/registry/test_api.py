import json
import re
from typing import Any

import pytest
from django.test import Client

from jumin.accounts.models import User
from jumin.audit.models import AuditEntry
from jumin.registry.models import Change
from tests.helpers.accounts import terminal_client
from tests.registry.conftest import PURPOSE, logged_in

pytestmark = pytest.mark.django_db

MOVE_IN: dict[str, Any] = {
    "purpose": PURPOSE,
    "members": [
        {
            "surname": "青木",
            "given_name": "太郎",
            "surname_kana": "あおき",
            "given_name_kana": "ﾀﾛｳ",
            "birth_date": "S35.4.1",
            "sex": "male",
            "relationship": "世帯主",
            "honseki": "長崎県佐世保市八幡町1番地",
            "hittousha": "青木 太郎",
        },
        {
            "surname": "青木",
            "given_name": "花子",
            "surname_kana": "アオキ",
            "given_name_kana": "ハナコ",
            "birth_date": "昭和37年8月15日",
            "sex": "female",
            "relationship": "妻",
            "honseki": "長崎県佐世保市八幡町1番地",
            "hittousha": "青木 太郎",
        },
    ],
    "address": {"address": "長崎県佐世保市相生町1番1号", "postal_code": "8570044"},
    "move_in_date": "令和8年11月1日",
    "notification_date": "2026-11-05",
    "previous_address": "東京都日野市神明1丁目1番1号",
}


def post(client: Client, path: str, body: dict[str, Any]) -> Any:
    return client.post(f"/api/registry{path}", data=json.dumps(body), content_type="application/json")


def test_anonymous_calls_get_401_and_write_nothing() -> None:
    response = post(terminal_client(), "/move-ins", MOVE_IN)
    assert response.status_code == 401
    assert not Change.objects.exists()


def test_move_in_then_commit_then_lookup_through_the_api(
    clerk: User, reviewer: User, code_pool: list[str]
) -> None:
    created = post(logged_in(clerk), "/move-ins", MOVE_IN)
    assert created.status_code == 201, created.content
    draft = created.json()
    assert len(draft["atena_numbers"]) == 2

    listed = logged_in(reviewer).get("/api/registry/drafts")
    assert [d["change_id"] for d in listed.json()] == [draft["change_id"]]

    committed = post(logged_in(reviewer), f"/drafts/{draft['change_id']}/commit", {"purpose": PURPOSE})
    assert committed.json() == {"change_id": draft["change_id"], "state": "committed"}

    looked_up = post(
        logged_in(clerk), "/residents/lookup", {"purpose": PURPOSE, "atena_number": draft["atena_numbers"][0]}
    )
    record = looked_up.json()
    assert (record["surname_kana"], record["given_name_kana"]) == ("アオキ", "タロウ")
    assert record["birth_date"] == "昭和35年4月1日"
    assert record["became_resident_date"] == "令和8年11月1日"
    assert record["juminhyo_code"] == "＊＊＊＊"


def test_bad_input_gets_400_with_field_reason_and_remedy_and_writes_nothing(clerk: User) -> None:
    body = {**MOVE_IN, "members": [{**MOVE_IN["members"][0], "relationship": "孫"}]}
    response = post(logged_in(clerk), "/move-ins", body)
    assert response.status_code == 400
    error = response.json()
    assert error["field"] == "members[0].relationship"
    assert "子の子" in error["remedy"]
    assert not Change.objects.exists()


def test_a_date_after_the_era_end_is_refused_with_the_correct_form(clerk: User) -> None:
    body = {**MOVE_IN, "members": [{**MOVE_IN["members"][0], "birth_date": "平成31年5月1日"}]}
    response = post(logged_in(clerk), "/move-ins", body)
    assert response.status_code == 400
    assert "令和元年5月1日" in response.json()["remedy"]


def test_without_permission_the_call_is_refused_with_403_and_one_refused_audit_entry(
    make_clerk: Any, code_pool: list[str]
) -> None:
    outsider = make_clerk("outsider")
    response = post(logged_in(outsider), "/move-ins", MOVE_IN)
    assert response.status_code == 403
    assert "権限" in response.json()["message"]
    assert AuditEntry.objects.filter(outcome="refused").count() == 1
    assert not Change.objects.exists()


def test_with_permission_the_call_succeeds_with_exactly_one_audit_entry(
    clerk: User, code_pool: list[str]
) -> None:
    before = AuditEntry.objects.count()
    response = post(logged_in(clerk), "/move-ins", MOVE_IN)
    assert response.status_code == 201
    assert AuditEntry.objects.count() == before + 1


def test_the_maker_committing_their_own_draft_gets_403(make_clerk: Any, code_pool: list[str]) -> None:
    from jumin.accounts.permissions import Permission

    both = make_clerk("both", Permission.RESIDENT_RECORD, Permission.RESIDENT_COMMIT)
    client = logged_in(both)
    draft = post(client, "/move-ins", MOVE_IN).json()
    response = post(client, f"/drafts/{draft['change_id']}/commit", {"purpose": PURPOSE})
    assert response.status_code == 403


def test_the_openapi_schema_documents_every_registry_endpoint() -> None:
    from jumin.settings.api import api

    schema = api.get_openapi_schema()
    assert {
        "/api/registry/move-ins",
        "/api/registry/drafts",
        "/api/registry/drafts/{change_id}/commit",
        "/api/registry/drafts/{change_id}/discard",
        "/api/registry/residents/lookup",
        "/api/registry/residents/history",
    } <= set(schema["paths"])
    # No endpoint takes a person's identifier in its path (personal data stays out of URLs); the
    # 宛名 system's own routes (/api/atena/…) are named after it and take none.
    parameters = {name for path in schema["paths"] for name in re.findall(r"\{(\w+)\}", path)}
    assert not any("atena" in name or "number" in name for name in parameters)
    assert not any("number" in path for path in schema["paths"])

"""統合端末 screens and the CS JSON API: permissions, the CS-terminal rule (C-4), audit, errors shown."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from jumin.accounts.authorization import MASK
from jumin.accounts.models import Terminal
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.jukinet.cs import services
from jumin.jukinet.cs.models import (
    ConsistencyRun,
    CsIdentity,
    UpdateRejection,
)
from tests.helpers.accounts import TERMINAL_ID, make_terminal
from tests.helpers.permission_matrix import assert_permission_triple
from tests.jukinet.cs.factories import differing, update

pytestmark = pytest.mark.django_db
PURPOSE = "cs_operator"
SEARCH_URL = "/api/jukinet/cs/search"


@pytest.fixture
def cs_terminal(db: None) -> None:
    """The test terminal is an integrated terminal: biometric login only (C-4)."""
    make_terminal()
    Terminal.objects.filter(terminal_id=TERMINAL_ID).update(biometric_only=True)


@pytest.fixture
def person() -> str:
    request = update()
    services.accept_update(request, actor=None)
    return request.resident_code


def search_form(code: str, **overrides: str) -> dict[str, str]:
    values = {"purpose": PURPOSE, "by": "resident_code", "resident_code": code, "reason": "転入届の確認"}
    values.update(overrides)
    return values


def test_the_search_screen_follows_the_permission_triple_on_a_cs_terminal(
    cs_terminal: None, person: str, make_staff: Callable[..., Any]
) -> None:
    assert_permission_triple(
        make_staff, "post", reverse("jukinet_cs:search"), Permission.CS_SEARCH, data=search_form(person)
    )


def test_the_search_screen_shows_the_record(
    cs_terminal: None, person: str, make_staff: Callable[..., Any]
) -> None:
    client = make_staff([Permission.CS_SEARCH])
    response = client.post(reverse("jukinet_cs:search"), search_form(person))
    assert response.status_code == 200
    assert person in response.content.decode()
    entry = AuditEntry.objects.get(action="cs:identity:search")
    assert (entry.result_count, entry.query_summary) == (1, "resident_code")


def test_a_clerk_terminal_never_reaches_the_cs_and_the_refusal_is_audited(
    person: str, make_staff: Callable[..., Any]
) -> None:
    client = make_staff([Permission.CS_SEARCH])
    response = client.post(reverse("jukinet_cs:search"), search_form(person))
    assert response.status_code == 403
    assert person not in response.content.decode()
    entry = AuditEntry.objects.get(action="cs:identity:search")
    assert (entry.outcome, entry.outcome_reason) == ("refused", "cs_terminal_required")


def test_a_name_only_search_is_refused_saying_what_to_add(
    cs_terminal: None, make_staff: Callable[..., Any]
) -> None:
    client = make_staff([Permission.CS_SEARCH])
    response = client.post(
        reverse("jukinet_cs:search"), search_form("", by="four_items", name="試験", sex="male")
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "生年月日" in body
    assert "住所" in body
    assert "2項目以上" in body


def test_the_individual_number_search_needs_the_specific_personal_information_grant(
    cs_terminal: None, make_staff: Callable[..., Any]
) -> None:
    request = update()
    services.accept_update(request, actor=None)
    body = search_form("", by="individual_number", individual_number=request.individual_number)
    without = make_staff([Permission.CS_SEARCH])
    assert without.post(reverse("jukinet_cs:search"), body).status_code == 403
    holder = make_staff(
        [
            Permission.CS_SEARCH,
            Permission.INDIVIDUAL_NUMBER_ACCESS,
            Permission.FIELD_INDIVIDUAL_NUMBER_VIEW,
            Permission.FIELD_JUMINHYO_CODE_VIEW,
        ]
    )
    response = holder.post(reverse("jukinet_cs:search"), body)
    page = response.content.decode().replace(f'value="{request.individual_number}"', "")
    assert request.resident_code in page
    # A list of results never shows the 個人番号, even to a holder of every grant (C-11).
    assert request.individual_number not in page
    assert "個人番号</th>" not in page


def test_the_search_list_masks_the_resident_code_without_its_field_grant(
    cs_terminal: None, make_staff: Callable[..., Any]
) -> None:
    request = update()
    services.accept_update(request, actor=None)
    body = search_form("", by="four_items", name=request.name, birth_date=request.birth_date)
    client = make_staff([Permission.CS_SEARCH, Permission.INDIVIDUAL_NUMBER_ACCESS])
    page = client.post(reverse("jukinet_cs:search"), body).content.decode()
    assert request.name in page
    assert request.resident_code not in page  # C-10: FIELD_JUMINHYO_CODE_VIEW not granted
    assert MASK in page
    api = {**body, "target": "local"}
    answer = client.post(SEARCH_URL, json.dumps(api), content_type="application/json").json()
    assert [(r["resident_code"], r["individual_number"]) for r in answer["records"]] == [(MASK, MASK)]


def test_the_search_api_answers_json_and_refuses_a_mining_search(
    cs_terminal: None, person: str, make_staff: Callable[..., Any]
) -> None:
    client = make_staff([Permission.CS_SEARCH, Permission.FIELD_JUMINHYO_CODE_VIEW])
    body = {"purpose": PURPOSE, "by": "resident_code", "resident_code": person, "reason": "確認"}
    answer = client.post(SEARCH_URL, json.dumps(body), content_type="application/json")
    assert answer.status_code == 200
    assert [record["resident_code"] for record in answer.json()["records"]] == [person]
    mining = {"purpose": PURPOSE, "by": "four_items", "name": "試験", "reason": "確認"}
    refused = client.post(SEARCH_URL, json.dumps(mining), content_type="application/json")
    assert refused.status_code == 400
    assert refused.json()["code"] == "identity_search.too_few_items"


def test_a_card_file_that_is_not_a_card_is_refused_on_screen(
    cs_terminal: None, make_staff: Callable[..., Any]
) -> None:
    client = make_staff([Permission.CS_IDENTITY_CHECK])
    upload = SimpleUploadedFile("card.json", b'{"format": "other"}', content_type="application/json")
    response = client.post(
        reverse("jukinet_cs:card_verify"), {"purpose": PURPOSE, "card": upload, "pin": "1234"}
    )
    assert response.status_code == 200
    assert "カードのファイルを読み取れません" in response.content.decode()


def test_the_worklist_shows_waiting_notices_and_unlinked_updates(
    cs_terminal: None, person: str, make_staff: Callable[..., Any]
) -> None:
    services.record_unlinked([("000000001-1", "no_resident_code", "juminhyo_code")])
    client = make_staff([Permission.CS_CONSISTENCY, Permission.FIELD_JUMINHYO_CODE_VIEW])
    response = client.get(reverse("jukinet_cs:worklist"), {"purpose": PURPOSE})
    body = response.content.decode()
    assert person in body
    assert "000000001-1" in body
    assert AuditEntry.objects.filter(action="cs:notice:list", outcome="done").count() == 1
    sent = client.post(reverse("jukinet_cs:worklist"), {"purpose": PURPOSE, "send": "1"})
    assert "0件を送信しました" in sent.content.decode()  # no prefecture peer here: they keep waiting
    masked = make_staff([Permission.CS_CONSISTENCY]).get(reverse("jukinet_cs:worklist"), {"purpose": PURPOSE})
    assert person not in masked.content.decode()  # C-10: no FIELD_JUMINHYO_CODE_VIEW
    assert MASK in masked.content.decode()


def test_the_menu_warns_on_a_clerk_terminal(make_staff: Callable[..., Any]) -> None:
    response = make_staff([Permission.CS_SEARCH]).get(reverse("jukinet_cs:index"))
    assert "統合端末からのみ" in response.content.decode()


def test_a_returned_error_is_listed_and_resolved_with_a_note(
    cs_terminal: None, person: str, make_staff: Callable[..., Any]
) -> None:
    identity = CsIdentity.objects.get(resident_code=person)
    rejection = UpdateRejection.objects.create(
        message_id="00000000-0000-0000-0000-0000000000aa",
        rejected_message_id="00000000-0000-0000-0000-0000000000bb",
        identity=identity,
        update_seq=1,
        code="jukinet.prefecture.already_resident",
        reason="現存する住民への転入です。",
        remedy="職権修正で訂正してください。",
        received_at=timezone.now(),
    )
    client = make_staff([Permission.CS_CONSISTENCY])
    listed = client.get(reverse("jukinet_cs:worklist"), {"purpose": PURPOSE})
    assert "現存する住民への転入です。" in listed.content.decode()
    empty_note = client.post(
        reverse("jukinet_cs:worklist"), {"purpose": PURPOSE, "rejection_id": rejection.pk, "note": " "}
    )
    assert empty_note.status_code == 200
    rejection.refresh_from_db()
    assert rejection.resolved_at is None
    client.post(
        reverse("jukinet_cs:worklist"),
        {"purpose": PURPOSE, "rejection_id": rejection.pk, "note": "職権修正済み"},
    )
    rejection.refresh_from_db()
    assert rejection.resolved_at is not None
    entry = AuditEntry.objects.get(action="cs:rejection:resolve")
    assert entry.subject_id == str(rejection.pk)


def test_the_consistency_screen_reports_a_failed_run_without_peers(
    cs_terminal: None, person: str, make_staff: Callable[..., Any]
) -> None:
    client = make_staff([Permission.CS_CONSISTENCY])
    response = client.post(reverse("jukinet_cs:consistency"), {"purpose": PURPOSE, "target": "prefecture"})
    assert response.status_code == 200
    run = ConsistencyRun.objects.get()
    assert run.status == "failed"
    assert "失敗" in response.content.decode()
    assert AuditEntry.objects.filter(action="cs:consistency:run", outcome="refused").count() == 1


def test_a_card_event_without_the_national_node_as_peer_is_refused_on_the_api(
    cs_terminal: None, person: str, make_staff: Callable[..., Any]
) -> None:
    client = make_staff([Permission.CS_CARD])
    body = {"purpose": PURPOSE, "card_serial": "AB12CD34EF56", "resident_code": person, "event": "suspend"}
    answer = client.post("/api/jukinet/cs/card/events", json.dumps(body), content_type="application/json")
    assert answer.status_code == 400
    assert answer.json()["code"] == "messaging.unknown_receiver"
    assert person not in answer.content.decode()


def test_the_consistency_differences_mask_the_resident_code_without_its_field_grant(
    cs_terminal: None, person: str, make_staff: Callable[..., Any]
) -> None:
    run = differing(person)
    url = reverse("jukinet_cs:consistency_run", args=[run.run_id])
    masked = make_staff([Permission.CS_CONSISTENCY]).get(url, {"purpose": PURPOSE}).content.decode()
    assert person not in masked
    assert MASK in masked
    assert "内容が異なる" in masked
    granted = make_staff([Permission.CS_CONSISTENCY, Permission.FIELD_JUMINHYO_CODE_VIEW])
    assert person in granted.get(url, {"purpose": PURPOSE}).content.decode()
    answer = make_staff([Permission.CS_CONSISTENCY]).post(
        f"/api/jukinet/cs/consistency/runs/{run.run_id}/differences",
        json.dumps({"purpose": PURPOSE}),
        content_type="application/json",
    )
    assert answer.json() == [{"resident_code": MASK, "kind": "different"}]

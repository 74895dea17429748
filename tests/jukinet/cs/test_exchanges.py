"""本人確認情報の提供状況 (issue 8 item 7): every exchange concerning a person, on each node."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse

from jumin.accounts.models import Terminal, User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry, AuditResultSubject
from jumin.domain.errors import DomainError
from jumin.jukinet.cs import cards, exchanges, services
from jumin.jukinet.cs.search import IdentitySearch, search_identity
from jumin.jukinet.national import exchanges as national_exchanges
from jumin.jukinet.prefecture.provision import exchanges as prefecture_exchanges
from jumin.messaging.envelope import NodeRef
from jumin.messaging.testing import TestFederation
from tests.helpers.accounts import TERMINAL_ID, grant_permissions, make_terminal, make_user
from tests.helpers.permission_matrix import assert_permission_triple
from tests.jukinet.cs.factories import resident_code, then, update

pytestmark = pytest.mark.django_db

SASEBO = NodeRef("municipality", "422029")
PURPOSE = "cs_operator"
PIN = "1234"
API = "/api/jukinet/cs/provision-status"


@pytest.fixture
def cs_terminal(db: None) -> None:
    """The test terminal is an integrated terminal: biometric login only (C-4)."""
    make_terminal()
    Terminal.objects.filter(terminal_id=TERMINAL_ID).update(biometric_only=True)


@pytest.fixture
def operator(db: None) -> User:
    user = make_user(username="csop11")
    grant_permissions(
        user,
        [
            Permission.CS_SEARCH,
            Permission.CS_IDENTITY_CHECK,
            Permission.CS_CARD,
            Permission.NATIONAL_MONITOR,
            Permission.PROVISION_DISCLOSURE,
        ],
    )
    return user


def carried(federation: TestFederation) -> str:
    """A person recorded at the CS of 佐世保市 and carried to the prefecture and the national node."""
    request = update()
    with federation.acting_as(SASEBO):
        services.accept_update(request, actor=None)
    federation.pump()
    return request.resident_code


def kinds(status: Any) -> list[str]:
    return [exchange.action for exchange in status.exchanges]


def test_each_node_lists_every_exchange_that_concerned_the_person_and_no_one_else(
    federation: TestFederation, operator: User
) -> None:
    code, other = carried(federation), carried(federation)
    search = IdentitySearch(by="resident_code", resident_code=code, reason="転入届の確認")
    with federation.acting_as(SASEBO):
        search_identity(actor=operator, purpose=PURPOSE, search=search, target="national")
        search_identity(actor=operator, purpose=PURPOSE, search=search, target="prefecture")
        card = cards.issue_card(actor=operator, purpose=PURPOSE, resident_code=code, pin=PIN)
        cards.verify_with_card(actor=operator, purpose=PURPOSE, card_json=card, pin=PIN)
        with pytest.raises(DomainError):
            cards.verify_with_card(actor=operator, purpose=PURPOSE, card_json=card, pin="9999")
        status = exchanges.provision_status(actor=operator, purpose=PURPOSE, resident_code=code)
    assert kinds(status) == [
        "cs:card:verify",
        "cs:card:verify",
        "cs:card:issue",
        "cs:identity:query",
        "cs:identity:query",
        "cs:identity:update",
    ]
    assert [exchange.outcome for exchange in status.exchanges[:2]] == ["refused", "done"]
    assert status.exchanges[-1].kind == "本人確認情報の更新・都道府県への通知"
    national = national_exchanges.provision_status(
        actor=operator, purpose="national_monitor", resident_code=code
    )
    assert kinds(national) == [
        "national:card:verify",
        "national:card:issue",
        "national:identity:query",
        "national:identity:update",
    ]
    prefecture = prefecture_exchanges.provision_status(
        actor=operator, purpose="provision_disclosure", resident_code=code
    )
    assert kinds(prefecture) == ["prefecture:identity:query", "prefecture:identity:update"]
    # The other person's update is theirs alone.
    with federation.acting_as(SASEBO):
        theirs = exchanges.provision_status(actor=operator, purpose=PURPOSE, resident_code=other)
    assert kinds(theirs) == ["cs:identity:update"]


def test_the_audit_log_names_the_person_by_an_internal_id_never_by_the_code(
    federation: TestFederation, operator: User
) -> None:
    code = carried(federation)
    with federation.acting_as(SASEBO):
        cards.issue_card(actor=operator, purpose=PURPOSE, resident_code=code, pin=PIN)
    for entry in AuditEntry.objects.all():
        assert code not in f"{entry.subject_id} {entry.reason} {entry.outcome_reason}", entry.action
    assert not AuditResultSubject.objects.filter(subject_id=code).exists()
    assert AuditResultSubject.objects.filter(entry__action="cs:card:issue").count() == 1


def test_a_resident_code_change_keeps_one_list_found_by_either_code(
    operator: User, cs_terminal: None
) -> None:
    first = update()
    services.accept_update(first, actor=None)
    changed = then(
        first,
        resident_code=resident_code(9001),
        former_resident_code=first.resident_code,
        change_reason="住民票コードの変更",
    )
    services.accept_update(changed, actor=None)
    by_old = exchanges.provision_status(actor=operator, purpose=PURPOSE, resident_code=first.resident_code)
    by_new = exchanges.provision_status(actor=operator, purpose=PURPOSE, resident_code=changed.resident_code)
    assert kinds(by_old) == kinds(by_new) == ["cs:identity:update", "cs:identity:update"]


def test_an_unknown_code_lists_nothing_and_a_malformed_one_is_refused(
    operator: User, cs_terminal: None
) -> None:
    status = exchanges.provision_status(actor=operator, purpose=PURPOSE, resident_code=resident_code(9002))
    assert (status.known, status.exchanges) == (False, [])
    with pytest.raises(DomainError) as refused:
        exchanges.provision_status(actor=operator, purpose=PURPOSE, resident_code="12345")
    assert refused.value.field == "resident_code"
    assert "11桁" in refused.value.reason
    assert AuditEntry.objects.filter(action="cs:exchange:view").count() == 1


def test_the_provision_status_screen_follows_the_permission_triple(
    cs_terminal: None, make_staff: Callable[..., Any]
) -> None:
    request = update()
    services.accept_update(request, actor=None)
    data = {"purpose": PURPOSE, "resident_code": request.resident_code}
    assert_permission_triple(
        make_staff, "post", reverse("jukinet_cs:provision_status"), Permission.CS_SEARCH, data=data
    )
    client = make_staff(permissions=[Permission.CS_SEARCH])
    page = client.post(reverse("jukinet_cs:provision_status"), data).content.decode()
    assert "本人確認情報の更新・都道府県への通知" in page
    assert request.resident_code not in reverse("jukinet_cs:provision_status")


def test_the_provision_status_api_follows_the_permission_triple_and_refuses_bad_input(
    cs_terminal: None, make_staff: Callable[..., Any]
) -> None:
    request = update()
    services.accept_update(request, actor=None)
    body = json.dumps({"purpose": PURPOSE, "resident_code": request.resident_code})
    assert_permission_triple(
        make_staff, "post", API, Permission.CS_SEARCH, data=body, content_type="application/json"
    )
    client = make_staff(permissions=[Permission.CS_SEARCH])
    answer = client.post(API, body, content_type="application/json").json()
    assert [row["action"] for row in answer["exchanges"]] == ["cs:identity:update"]
    bad = json.dumps({"purpose": PURPOSE, "resident_code": "abc"})
    refused = client.post(API, bad, content_type="application/json")
    assert refused.status_code == 400
    assert refused.json()["code"] == "jukinet.exchange.resident_code"
    no_purpose = json.dumps({"purpose": "", "resident_code": request.resident_code})
    assert client.post(API, no_purpose, content_type="application/json").status_code == 403


def test_the_national_api_follows_the_permission_triple(
    federation: TestFederation, make_staff: Callable[..., Any]
) -> None:
    code = carried(federation)
    body = json.dumps({"purpose": "national_monitor", "resident_code": code})
    assert_permission_triple(
        make_staff,
        "post",
        "/api/jukinet/national/provision-status",
        Permission.NATIONAL_MONITOR,
        data=body,
        content_type="application/json",
    )
    assert_permission_triple(
        make_staff,
        "post",
        reverse("jukinet_national:provision_status"),
        Permission.NATIONAL_MONITOR,
        data={"purpose": "national_monitor", "resident_code": code},
    )

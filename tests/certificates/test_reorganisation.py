"""改製 and certificates (standard 1.1.4-b, 1.1.5-a): a 写し with history prints the current generation
only; a 改製原住民票の写し prints one earlier generation and is issued like a 除票の写し."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.urls import reverse

from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.certificates.history import issuance_history
from jumin.certificates.models import Issuance, IssueCounter, IssuedCopy
from jumin.certificates.services import original_generations
from jumin.domain.certificates import CertificateKind, Layout
from jumin.domain.errors import DomainError
from jumin.registry.services import DraftRecorded, commit_change
from jumin.registry.workflows.move_out import record_move_out
from jumin.registry.workflows.move_within import MoveWithin, record_move_within
from jumin.registry.workflows.reorganisation import Reorganisation, record_reorganisation
from tests.certificates.conftest import CERT_PURPOSE
from tests.certificates.helpers import flat, pdf_pages
from tests.certificates.test_issuance import issue, refused
from tests.helpers.permission_matrix import assert_permission_triple
from tests.registry.conftest import PURPOSE, logged_in
from tests.registry.test_move_in import ADDRESS
from tests.registry.test_move_out import move_out

pytestmark = pytest.mark.django_db

MOVED_ON = date(2026, 11, 15)  # 令和8年11月15日
REORGANISED_ON = date(2026, 11, 20)  # 令和8年11月20日
NEW_STREET = "八幡町2番2号"


def _move_within(clerk: User, reviewer: User, numbers: tuple[str, ...]) -> None:
    draft = record_move_within(
        actor=clerk,
        purpose=PURPOSE,
        move=MoveWithin(
            movers=list(numbers),
            address=type(ADDRESS)(address=f"長崎県佐世保市{NEW_STREET}"),
            move_date=MOVED_ON,
            notification_date=MOVED_ON,
        ),
    )
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)


def _reorganise(clerk: User, reviewer: User, numbers: tuple[str, ...]) -> None:
    draft = record_reorganisation(
        actor=clerk,
        purpose=PURPOSE,
        reorganisation=Reorganisation(
            atena_numbers=list(numbers), reorganised_on=REORGANISED_ON, reason="記載欄の整理のため"
        ),
    )
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)


@pytest.fixture
def reorganised(family: DraftRecorded, clerk: User, reviewer: User) -> DraftRecorded:
    """The family: 国内転入 (履歴1), 転居 (履歴2), then 改製 on REORGANISED_ON (履歴3, generation 2)."""
    _move_within(clerk, reviewer, family.atena_numbers)
    _reorganise(clerk, reviewer, family.atena_numbers)
    return family


def _history_text(actor: User, head: str) -> str:
    issued = issue(actor, [head], layout=Layout.PERSONAL, whole_household=False, with_history=True)
    return flat("".join(pdf_pages(issued.pdf)))


def test_a_copy_with_history_prints_every_row_before_any_reorganisation(
    family: DraftRecorded, clerk: User, reviewer: User, issuer: User, certifier: Any
) -> None:
    _move_within(clerk, reviewer, family.atena_numbers)
    text = _history_text(issuer, family.atena_numbers[0])
    assert "令和8年11月1日国内転入" in text
    assert "令和8年11月15日転居" in text
    assert "改製" not in text


def test_a_copy_with_history_after_a_reorganisation_prints_the_current_generation_only(
    reorganised: DraftRecorded, issuer: User, certifier: Any
) -> None:
    text = _history_text(issuer, reorganised.atena_numbers[0])
    assert "令和8年11月20日改製" in text  # the 改製 row opens the record, with the 改製日
    assert "国内転入" not in text  # 改製原住民票: not on a 住民票の写し
    assert "令和8年11月15日転居" not in text
    assert NEW_STREET in text  # the current data is unchanged by the 改製


def test_the_generations_are_listed_with_their_periods_and_the_read_is_audited(
    reorganised: DraftRecorded, issuer: User, certifier: Any
) -> None:
    head = reorganised.atena_numbers[0]
    periods = original_generations(actor=issuer, purpose=CERT_PURPOSE, atena_number=head)
    assert [(p.number, p.first_history_no, p.last_history_no, p.is_current) for p in periods] == [
        (1, 1, 2, False),
        (2, 3, 3, True),
    ]
    assert (periods[0].started_on, periods[0].closed_on, periods[0].closed_by) == (
        date(2026, 11, 1),
        REORGANISED_ON,
        "改製",
    )
    assert (periods[1].started_on, periods[1].closed_on, periods[1].closed_by) == (REORGANISED_ON, None, "")
    entry = AuditEntry.objects.filter(action="certificate:generations:view").get()
    assert (entry.subject_id, entry.result_count) == (head, 2)


def test_a_copy_of_generation_one_prints_exactly_that_generation_and_is_in_the_issue_history(
    reorganised: DraftRecorded, issuer: User, certifier: Any, make_clerk: Callable[..., User]
) -> None:
    head = reorganised.atena_numbers[0]
    issued = issue(issuer, [head], kind=CertificateKind.ORIGINAL_COPY, generation=1, layout=Layout.PERSONAL)
    text = flat("".join(pdf_pages(issued.pdf)))
    assert "改製原住民票の写し" in text
    assert "令和8年11月1日国内転入" in text
    assert "令和8年11月15日転居" in text
    assert "令和8年11月20日改製により消除" in text  # the 改製 closed it (a 除票, 1.1.1-b)
    assert "令和8年11月20日改製（" not in text
    assert "令和8年11月20日改製長崎" not in text
    assert "この写しは、改製原住民票の原本と相違ないことを証明する。" in text
    issuance = Issuance.objects.get(pk=issued.issuance_id)
    assert (issuance.kind, issuance.layout, issuance.options["generation"]) == (
        "original_copy",
        "personal",
        1,
    )
    assert issuance.subjects == [head]
    assert issued.fee == 300
    inquirer = make_clerk("inquirer", Permission.CERTIFICATE_HISTORY_VIEW)
    rows = issuance_history(actor=inquirer, purpose=CERT_PURPOSE, atena_number=head)
    assert [(row.issuance_id, row.kind) for row in rows] == [(issued.issuance_id, "改製原住民票の写し")]


@pytest.mark.parametrize(
    ("generation", "code"),
    [(2, "certificates.no_such_generation"), (7, "certificates.no_such_generation")],
)
def test_an_unknown_generation_is_refused_and_writes_nothing(
    reorganised: DraftRecorded, issuer: User, certifier: Any, generation: int, code: str
) -> None:
    copies, counters = (
        IssuedCopy.objects.count(),
        list(IssueCounter.objects.values_list("last_serial", flat=True)),
    )
    head = reorganised.atena_numbers[0]
    assert refused(issuer, [head], kind=CertificateKind.ORIGINAL_COPY, generation=generation) == code
    assert IssuedCopy.objects.count() == copies
    assert list(IssueCounter.objects.values_list("last_serial", flat=True)) == counters


def test_a_record_never_reorganised_has_no_original_to_copy(
    family: DraftRecorded, issuer: User, certifier: Any
) -> None:
    with pytest.raises(DomainError) as raised:
        issue(issuer, [family.atena_numbers[0]], kind=CertificateKind.ORIGINAL_COPY, generation=1)
    assert raised.value.code == "certificates.no_such_generation"
    assert "改製されていません" in raised.value.remedy


@pytest.mark.parametrize(
    ("options", "code"),
    [
        ({}, "certificates.generation_required"),
        ({"generation": 0}, "certificates.generation_required"),
        ({"generation": 1, "two": True}, "certificates.original_copy_one_person"),
    ],
)
def test_an_original_copy_needs_one_person_and_a_generation(
    reorganised: DraftRecorded, issuer: User, certifier: Any, options: dict[str, Any], code: str
) -> None:
    numbers = list(reorganised.atena_numbers[: 2 if options.pop("two", False) else 1])
    assert (
        refused(issuer, numbers, kind=CertificateKind.ORIGINAL_COPY, layout=Layout.PERSONAL, **options)
        == code
    )


def test_the_api_lists_generations_and_issues_an_original_copy(
    reorganised: DraftRecorded, issuer: User, certifier: Any
) -> None:
    client = logged_in(issuer)
    head = reorganised.atena_numbers[0]
    listed = client.post(
        "/api/certificates/generations",
        json.dumps({"purpose": CERT_PURPOSE, "atena_number": head}),
        content_type="application/json",
    )
    assert listed.status_code == 200
    assert [(g["number"], g["is_current"]) for g in listed.json()] == [(1, False), (2, True)]
    body = {
        "purpose": CERT_PURPOSE,
        "request": {"requester_class": "self", "identity_check": "mynumber_card"},
        "options": {"atena_numbers": [head], "kind": "original_copy", "generation": 1},
    }
    issued = client.post("/api/certificates/issue", json.dumps(body), content_type="application/json")
    assert issued.status_code == 200
    text = flat("".join(pdf_pages(base64.b64decode(issued.json()["pdf_base64"]))))
    assert "改製原住民票の写し" in text
    assert "国内転入" in text
    body["options"]["generation"] = 5  # type: ignore[index]
    unknown = client.post("/api/certificates/issue", json.dumps(body), content_type="application/json")
    assert unknown.status_code == 400
    assert unknown.json()["code"] == "certificates.no_such_generation"


def test_the_generations_screen_lists_periods_and_prefills_the_request_form(
    reorganised: DraftRecorded, issuer: User, certifier: Any
) -> None:
    client = logged_in(issuer)
    head = reorganised.atena_numbers[0]
    page = client.post(reverse("certificates:generations"), {"purpose": CERT_PURPOSE, "atena_number": head})
    content = page.content.decode()
    assert page.status_code == 200
    assert "改製原住民票" in content
    assert "2026-11-20（改製）" in content
    assert content.count('name="generation" value="1"') == 1  # only earlier generations can be copied
    assert 'name="generation" value="2"' not in content
    form = client.post(
        reverse("certificates:issue"),
        {
            "prefill": "1",
            "atena_numbers": head,
            "kind": "original_copy",
            "layout": "personal",
            "generation": "1",
        },
    )
    assert form.status_code == 200
    assert Issuance.objects.count() == 0  # the prefilled form issues nothing
    assert 'value="original_copy" selected' in form.content.decode()


def test_the_generations_screen_and_api_permission_triples(
    reorganised: DraftRecorded, make_staff: Callable[..., Any], certifier: Any
) -> None:
    data = {"purpose": CERT_PURPOSE, "atena_number": reorganised.atena_numbers[0]}
    assert_permission_triple(
        make_staff, "post", reverse("certificates:generations"), Permission.CERTIFICATE_ISSUE, data=data
    )
    assert_permission_triple(
        make_staff,
        "post",
        "/api/certificates/generations",
        Permission.CERTIFICATE_ISSUE,
        data=json.dumps(data),
        content_type="application/json",
        success_status=(200,),
    )


# --- 世帯連記式 改製原住民票の写し (5.1-a, 5.2-a, 5.1-e) -------------------------------------------------


def _blocks(text: str, names: list[str]) -> list[int]:
    """Where each name's block starts in the flat text (-1 when it is not printed)."""
    return [text.find(name) for name in names]


def test_a_household_original_copy_prints_the_generation_of_every_member_remade_together(
    reorganised: DraftRecorded, issuer: User, certifier: Any
) -> None:
    head, wife, child = reorganised.atena_numbers
    # Named by the wife: the household is hers in generation 1, in its stored member order.
    issued = issue(issuer, [wife], kind=CertificateKind.ORIGINAL_COPY, generation=1)
    text = flat("".join(pdf_pages(issued.pdf)))
    starts = _blocks(text, ["青木太郎", "青木花子", "青木三奈"])
    assert -1 not in starts
    assert starts == sorted(starts)  # 世帯主, 妻, 子: member order
    assert text.count("令和8年11月1日国内転入") == 3  # each member's rows of that generation
    assert text.count("令和8年11月15日転居") == 3
    assert text.count("令和8年11月20日改製により消除") == 3
    assert "この写しは、世帯全員の改製原住民票の原本と相違ないことを証明する。" in text
    issuance = Issuance.objects.get(pk=issued.issuance_id)
    assert (issuance.kind, issuance.layout, issuance.options["generation"]) == (
        "original_copy",
        "household",
        1,
    )
    assert issuance.subjects == [head, wife, child]
    assert issued.fee == 300  # one 世帯連記式 copy
    # Two people per sheet with history: the copy continues on a second sheet under one 発行番号.
    assert issued.sheets == 2
    assert issuance.issued_copies.count() == 1
    audit = AuditEntry.objects.get(action="certificate:copy:issue", outcome="done")
    assert (audit.subject_id, audit.result_count) == (str(issuance.pk), 3)


def test_a_household_original_copy_of_part_of_the_household_names_its_members(
    reorganised: DraftRecorded, issuer: User, certifier: Any
) -> None:
    head, _wife, child = reorganised.atena_numbers
    issued = issue(
        issuer, [child, head], kind=CertificateKind.ORIGINAL_COPY, generation=1, whole_household=False
    )
    text = flat("".join(pdf_pages(issued.pdf)))
    assert "青木花子" not in text
    assert _blocks(text, ["青木太郎", "青木三奈"])[0] < _blocks(text, ["青木太郎", "青木三奈"])[1]
    assert "この写しは、世帯の一部の改製原住民票の原本と相違ないことを証明する。" in text
    assert Issuance.objects.get(pk=issued.issuance_id).subjects == [head, child]


def test_a_member_who_left_before_the_reorganisation_is_never_on_the_household_original_copy(
    family: DraftRecorded, clerk: User, reviewer: User, issuer: User, certifier: Any
) -> None:
    head, wife, child = family.atena_numbers
    # The child moves out (removed: a 除票 is never remade), then the others' records are remade.
    draft = record_move_out(
        actor=clerk,
        purpose=PURPOSE,
        move_out=move_out([child], planned_date=MOVED_ON, notification_date=MOVED_ON),
    )
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    _reorganise(clerk, reviewer, (head, wife))
    issued = issue(issuer, [head], kind=CertificateKind.ORIGINAL_COPY, generation=1)
    text = flat("".join(pdf_pages(issued.pdf)))
    assert "青木三奈" not in text  # 5.1-e: a removed former member is never printed with the others
    assert Issuance.objects.get(pk=issued.issuance_id).subjects == [head, wife]
    code = refused(
        issuer, [head, child], kind=CertificateKind.ORIGINAL_COPY, generation=1, whole_household=False
    )
    assert code == "certificates.not_same_household"

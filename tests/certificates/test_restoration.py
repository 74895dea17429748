"""再製 and certificates: a 写し with history prints the current generation only (from the 再製 row);
a 再製原住民票の写し prints the generation a 再製 closed, issued like a 改製原住民票の写し."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from jumin.accounts.models import User
from jumin.certificates.models import Issuance
from jumin.certificates.services import original_generations
from jumin.domain.certificates import CertificateKind, Layout
from jumin.registry.services import DraftRecorded, commit_change
from jumin.registry.workflows.reorganisation import Reorganisation, record_reorganisation
from jumin.registry.workflows.restoration import Restoration, RestorationCause, record_restoration
from tests.certificates.conftest import CERT_PURPOSE
from tests.certificates.helpers import flat, pdf_pages
from tests.certificates.test_issuance import issue, refused
from tests.certificates.test_reorganisation import NEW_STREET, _move_within
from tests.registry.conftest import PURPOSE, logged_in

pytestmark = pytest.mark.django_db

RESTORED_ON = date(2026, 11, 21)  # 令和8年11月21日


def _restore(clerk: User, reviewer: User, numbers: tuple[str, ...], **corrections: dict[str, str]) -> None:
    draft = record_restoration(
        actor=clerk,
        purpose=PURPOSE,
        restoration=Restoration(
            atena_numbers=list(numbers),
            restored_on=RESTORED_ON,
            cause=RestorationCause.DAMAGED,
            sources="住民票の写しの控え",
            corrections=corrections,
        ),
    )
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)


@pytest.fixture
def restored(family: DraftRecorded, clerk: User, reviewer: User) -> DraftRecorded:
    """The family: 国内転入 (履歴1), 転居 (履歴2), then 再製 on RESTORED_ON (履歴3, generation 2); the
    wife's name corrected from the sources."""
    _move_within(clerk, reviewer, family.atena_numbers)
    _restore(clerk, reviewer, family.atena_numbers, **{family.atena_numbers[1]: {"given_name": "華子"}})
    return family


def test_a_copy_with_history_after_a_restoration_prints_the_current_generation_only(
    restored: DraftRecorded, issuer: User, certifier: Any
) -> None:
    head, wife, _child = restored.atena_numbers
    for person in (head, wife):
        issued = issue(issuer, [person], layout=Layout.PERSONAL, whole_household=False, with_history=True)
        text = flat("".join(pdf_pages(issued.pdf)))
        assert "令和8年11月21日再製" in text  # the 再製 row opens the record, with the 再製日
        assert "国内転入" not in text  # 再製原住民票: not on a 住民票の写し
        assert "令和8年11月15日転居" not in text
        assert NEW_STREET in text
    assert "青木華子" in text  # the corrected name is the current record's


def test_the_generations_say_which_were_closed_by_a_restoration(
    restored: DraftRecorded, clerk: User, reviewer: User, issuer: User, certifier: Any
) -> None:
    head = restored.atena_numbers[0]
    remade = record_reorganisation(
        actor=clerk,
        purpose=PURPOSE,
        reorganisation=Reorganisation(
            atena_numbers=[head], reorganised_on=timezone.localdate(), reason="整理"
        ),
    )
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=remade.change_id)
    periods = original_generations(actor=issuer, purpose=CERT_PURPOSE, atena_number=head)
    assert [(p.number, p.closed_by, p.closed_on, p.is_current) for p in periods] == [
        (1, "再製", RESTORED_ON, False),
        (2, "改製", timezone.localdate(), False),
        (3, "", None, True),
    ]
    # Generation 2 opened with the 再製 and was closed by the 改製: a 改製原住民票.
    issued = issue(issuer, [head], kind=CertificateKind.ORIGINAL_COPY, generation=2, layout=Layout.PERSONAL)
    text = flat("".join(pdf_pages(issued.pdf)))
    assert "令和8年11月21日再製" in text
    assert "改製により消除" in text
    assert "国内転入" not in text


def test_a_restored_original_copy_prints_the_generation_the_restoration_closed(
    restored: DraftRecorded, issuer: User, certifier: Any
) -> None:
    wife = restored.atena_numbers[1]
    issued = issue(
        issuer, [wife], kind=CertificateKind.RESTORED_ORIGINAL_COPY, generation=1, layout=Layout.PERSONAL
    )
    text = flat("".join(pdf_pages(issued.pdf)))
    assert "再製原住民票の写し" in text
    assert "青木花子" in text  # the name as the damaged record held it
    assert "青木華子" not in text
    assert "令和8年11月1日国内転入" in text
    assert "令和8年11月15日転居" in text
    assert "令和8年11月21日再製により消除" in text
    assert "この写しは、再製原住民票の原本と相違ないことを証明する。" in text
    assert "改製" not in text
    issuance = Issuance.objects.get(pk=issued.issuance_id)
    assert (issuance.kind, issuance.options["generation"]) == ("restored_original", 1)
    assert issued.fee == 300


def test_a_household_restored_original_copy_prints_every_member_restored_together(
    restored: DraftRecorded, issuer: User, certifier: Any
) -> None:
    issued = issue(
        issuer, [restored.atena_numbers[0]], kind=CertificateKind.RESTORED_ORIGINAL_COPY, generation=1
    )
    text = flat("".join(pdf_pages(issued.pdf)))
    assert text.count("令和8年11月21日再製により消除") == 3
    assert "この写しは、世帯全員の再製原住民票の原本と相違ないことを証明する。" in text
    assert Issuance.objects.get(pk=issued.issuance_id).subjects == list(restored.atena_numbers)


def test_a_generation_is_copied_only_as_the_kind_that_closed_it(
    restored: DraftRecorded, issuer: User, certifier: Any
) -> None:
    head = restored.atena_numbers[0]
    code = refused(issuer, [head], kind=CertificateKind.ORIGINAL_COPY, generation=1, layout=Layout.PERSONAL)
    assert code == "certificates.generation_of_other_kind"
    assert (
        refused(issuer, [head], kind=CertificateKind.RESTORED_ORIGINAL_COPY, generation=2)
        == "certificates.no_such_generation"
    )


def test_the_generations_screen_offers_the_restored_copy_and_the_api_issues_it(
    restored: DraftRecorded, issuer: User, certifier: Any
) -> None:
    client = logged_in(issuer)
    head = restored.atena_numbers[0]
    page = client.post(reverse("certificates:generations"), {"purpose": CERT_PURPOSE, "atena_number": head})
    content = page.content.decode()
    assert "再製原住民票" in content
    assert "2026-11-21（再製）" in content
    assert 'name="kind" value="restored_original"' in content
    listed = client.post(
        "/api/certificates/generations",
        json.dumps({"purpose": CERT_PURPOSE, "atena_number": head}),
        content_type="application/json",
    )
    assert [(g["number"], g["closed_by"], g["closed_on"]) for g in listed.json()] == [
        (1, "再製", "2026-11-21"),
        (2, "", None),
    ]
    body = {
        "purpose": CERT_PURPOSE,
        "request": {"requester_class": "self", "identity_check": "mynumber_card"},
        "options": {"atena_numbers": [head], "kind": "restored_original", "generation": 1},
    }
    issued = client.post("/api/certificates/issue", json.dumps(body), content_type="application/json")
    assert issued.status_code == 200, issued.content
    assert Issuance.objects.get().kind == "restored_original"


def test_every_kind_fits_the_issuance_record() -> None:
    # PostgreSQL refuses a longer value where SQLite would store it: check the column's length here.
    limit = Issuance._meta.get_field("kind").max_length
    assert limit is not None
    assert all(len(kind.value) <= limit for kind in CertificateKind)

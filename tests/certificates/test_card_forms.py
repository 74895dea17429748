"""Card forms (standard 7.1.1.3-b): the 交付申請書 from a resident's record and the card-face printer's
output of a committed change, with the per-terminal / per-office size and position adjustment."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from jumin.accounts.models import Terminal, User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.certificates.card_forms import (
    adjustment_in_force,
    print_card_application,
    print_card_face,
    set_card_face_setting,
)
from jumin.certificates.models import Issuance
from jumin.domain.card_face import CardFaceKind, PrintAdjustment, layout_lines
from jumin.domain.errors import DomainError
from jumin.domain.resident import ResidentKind
from jumin.registry.services import DraftRecorded, commit_change, record_move_in
from jumin.registry.workflows.move_within import MoveWithin, record_move_within
from tests.certificates.conftest import CERT_PURPOSE
from tests.certificates.helpers import flat, pdf_pages
from tests.helpers.permission_matrix import assert_permission_triple
from tests.registry.conftest import PURPOSE, family_move_in, logged_in, person
from tests.registry.test_cards import issued
from tests.registry.test_move_in import ADDRESS

pytestmark = pytest.mark.django_db

NEW_ADDRESS = "長崎県佐世保市八幡町2番2号"


@pytest.fixture
def printer(make_clerk: Callable[..., User]) -> User:
    return make_clerk("card-clerk", Permission.CERTIFICATE_NOTICE_PRINT, Permission.RESIDENT_VIEW)


def _text(pdf: bytes) -> str:
    return flat("".join(pdf_pages(pdf)))


def _move_draft(clerk: User, movers: list[str]) -> DraftRecorded:
    """A 転居 of these people to NEW_ADDRESS today, waiting for review."""
    return record_move_within(
        actor=clerk,
        purpose=PURPOSE,
        move=MoveWithin(
            movers=movers,
            address=type(ADDRESS)(address=NEW_ADDRESS),
            move_date=timezone.localdate(),
            notification_date=timezone.localdate(),
        ),
    )


def _move(clerk: User, reviewer: User, movers: list[str]) -> int:
    draft = _move_draft(clerk, movers)
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    return draft.change_id


def test_the_application_form_prints_the_committed_record_and_is_audited_as_a_print(
    family: DraftRecorded, printer: User, certifier: Any
) -> None:
    head = family.atena_numbers[0]
    text = _text(print_card_application(actor=printer, purpose=PURPOSE, atena_number=head))
    assert "個人番号カード交付申請書" in text
    assert "青木太郎" in text
    assert "アオキタロウ" in text
    assert "性別男" in text
    assert "昭和" in text  # the birth date as recorded (和暦)
    assert "写真貼付欄" in text
    assert "署名用電子証明書の発行を希望しない" in text
    assert "再交付の理由" not in text
    entry = AuditEntry.objects.get(action="certificate:card_form:print")
    assert (entry.subject_id, entry.reason, entry.outcome) == (head, "application", "done")
    assert not Issuance.objects.exists()  # a form, not a certificate


def test_the_reapplication_form_asks_for_the_reason_of_the_reissue(
    family: DraftRecorded, printer: User, certifier: Any
) -> None:
    text = _text(
        print_card_application(
            actor=printer, purpose=PURPOSE, atena_number=family.atena_numbers[1], reapplication=True
        )
    )
    assert "個人番号カード再交付申請書" in text
    assert "再交付の理由" in text
    assert "紛失" in text
    assert "青木花子" in text


def test_an_application_is_refused_without_the_print_permission_and_for_a_pending_draft(
    family: DraftRecorded, clerk: User, make_clerk: Callable[..., User], certifier: Any
) -> None:
    head = family.atena_numbers[0]
    outsider = make_clerk("outsider", Permission.RESIDENT_VIEW)
    with pytest.raises(Exception, match="権限"):
        print_card_application(actor=outsider, purpose=PURPOSE, atena_number=head)
    _move_draft(clerk, list(family.atena_numbers))
    printer = make_clerk("printer2", Permission.CERTIFICATE_NOTICE_PRINT)
    with pytest.raises(DomainError) as raised:
        print_card_application(actor=printer, purpose=PURPOSE, atena_number=head)
    assert raised.value.code == "certificates.pending_draft"
    refused = AuditEntry.objects.get(
        action="certificate:card_form:print", outcome="refused", outcome_reason="certificates.pending_draft"
    )
    assert (refused.outcome, refused.outcome_reason) == ("refused", "certificates.pending_draft")


def test_the_card_face_of_a_move_within_prints_date_reason_new_address_and_the_seal(
    family: DraftRecorded, clerk: User, reviewer: User, printer: User, certifier: Any
) -> None:
    head = family.atena_numbers[0]
    change_id = _move(clerk, reviewer, list(family.atena_numbers))
    pdf = print_card_face(
        actor=printer,
        purpose=PURPOSE,
        atena_number=head,
        change_id=change_id,
        card_kind=CardFaceKind.INDIVIDUAL_NUMBER,
    )
    text = _text(pdf)
    assert "届出転居" in text
    assert f"住所{NEW_ADDRESS}" in text
    assert "令和" in text
    assert b"/Subtype /Image" in pdf or b"/Subtype/Image" in pdf  # the official seal
    entry = AuditEntry.objects.get(action="certificate:card_form:print")
    assert entry.subject_id == head
    assert entry.reason == f"card_face:individual_number; change={change_id}"


def test_a_card_face_without_a_changed_card_item_is_refused(
    family: DraftRecorded, printer: User, certifier: Any
) -> None:
    with pytest.raises(DomainError) as raised:
        print_card_face(
            actor=printer,
            purpose=PURPOSE,
            atena_number=family.atena_numbers[0],
            change_id=family.change_id + 999,
            card_kind=CardFaceKind.JUKI,
        )
    assert raised.value.code == "certificates.card_face_no_change"


def test_a_residence_card_gets_the_western_date_and_new_address_and_needs_its_number(
    clerk: User, reviewer: User, printer: User, code_pool: list[str], certifier: Any
) -> None:
    draft = record_move_in(
        actor=clerk,
        purpose=PURPOSE,
        move_in=family_move_in(
            members=[person("グエン", "アン", "グエン", "アン", kind=ResidentKind.FOREIGN)]
        ),
    )
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    (atena,) = draft.atena_numbers
    change_id = _move(clerk, reviewer, [atena])
    today = timezone.localdate()
    text = _text(
        print_card_face(
            actor=printer,
            purpose=PURPOSE,
            atena_number=atena,
            change_id=change_id,
            card_kind=CardFaceKind.RESIDENCE,
        )
    )
    assert f"{today.year}年{today.month}月{today.day}日{NEW_ADDRESS}" in text
    assert "転居" not in text  # the 住居地記載欄 has no 事由 column
    with pytest.raises(DomainError) as raised:
        print_card_face(
            actor=printer,
            purpose=PURPOSE,
            atena_number=atena,
            change_id=change_id,
            card_kind=CardFaceKind.SPECIAL_PERMANENT,
        )
    assert raised.value.code == "certificates.card_face_no_such_card"


def test_a_full_card_area_is_refused_and_the_line_offsets_follow_the_start_line() -> None:
    adjustment = PrintAdjustment(line_pitch_mm=Decimal(4), offset_top_mm=Decimal(1))
    lines = layout_lines(CardFaceKind.INDIVIDUAL_NUMBER, ["a", "b"], start_line=3, adjustment=adjustment)
    assert [line.top_mm for line in lines] == [Decimal(8 + 1 + 8), Decimal(8 + 1 + 12)]
    assert [line.seal for line in lines] == [False, True]
    with pytest.raises(DomainError) as raised:
        layout_lines(CardFaceKind.RESIDENCE, ["a", "b"], start_line=6, adjustment=adjustment)
    assert raised.value.code == "certificates.card_face_full"


def test_a_terminal_setting_wins_over_the_office_setting_and_changes_are_audited(
    make_clerk: Callable[..., User],
) -> None:
    admin = make_clerk("masters-admin", Permission.MASTERS_EDIT)
    Terminal.objects.create(terminal_id="T-CARD", name="本庁1", input_place_code="001")
    assert adjustment_in_force("T-CARD") == (PrintAdjustment(), "標準の設定")
    set_card_face_setting(
        actor=admin,
        purpose=PURPOSE,
        scope="office",
        key="001",
        adjustment=PrintAdjustment(font_size_pt=Decimal(8)),
    )
    assert adjustment_in_force("T-CARD")[0].font_size_pt == Decimal(8)
    set_card_face_setting(
        actor=admin,
        purpose=PURPOSE,
        scope="terminal",
        key="T-CARD",
        adjustment=PrintAdjustment(offset_top_mm=Decimal("1.5")),
    )
    adjustment, source = adjustment_in_force("T-CARD")
    assert (adjustment.font_size_pt, adjustment.offset_top_mm, source) == (
        Decimal(7),
        Decimal("1.5"),
        "端末の設定",
    )
    with pytest.raises(DomainError) as raised:
        set_card_face_setting(
            actor=admin,
            purpose=PURPOSE,
            scope="terminal",
            key="T-CARD",
            adjustment=PrintAdjustment(font_size_pt=Decimal(30)),
        )
    assert raised.value.code == "certificates.card_face_setting_range"
    entries = AuditEntry.objects.filter(subject_type="card_face_print_setting", outcome="done")
    assert entries.count() == 2


def test_the_record_screen_prints_the_application_form_by_post(
    family: DraftRecorded, make_clerk: Callable[..., User], certifier: Any
) -> None:
    user = make_clerk("counter", Permission.CERTIFICATE_NOTICE_PRINT, Permission.RESIDENT_VIEW)
    head = family.atena_numbers[0]
    client = logged_in(user)
    response = client.post(
        reverse("certificates:card_forms"),
        {"purpose": PURPOSE, "atena_number": head, "form": "application"},
    )
    assert response["Content-Type"] == "application/pdf"
    assert head not in response["Content-Disposition"]
    assert "個人番号カード交付申請書" in _text(response.content)


def test_the_card_form_screen_and_api_permission_triples(
    family: DraftRecorded, make_staff: Callable[..., Any], certifier: Any
) -> None:
    data = {"purpose": CERT_PURPOSE, "atena_number": family.atena_numbers[0], "form": "application"}
    assert_permission_triple(
        make_staff, "post", reverse("certificates:card_forms"), Permission.CERTIFICATE_NOTICE_PRINT, data=data
    )
    assert_permission_triple(
        make_staff,
        "post",
        "/api/certificates/card-forms/application",
        Permission.CERTIFICATE_NOTICE_PRINT,
        data=json.dumps(
            {"purpose": CERT_PURPOSE, "atena_number": family.atena_numbers[0], "reapplication": True}
        ),
        content_type="application/json",
        success_status=(200,),
    )


def test_the_commit_screen_offers_the_card_face_of_a_card_holder_whose_address_changed(
    family: DraftRecorded, clerk: User, make_clerk: Callable[..., User], certifier: Any
) -> None:
    head, wife, _ = family.atena_numbers
    card_clerk = make_clerk("card-recorder", Permission.RESIDENT_CARD_RECORD)
    issued(card_clerk, head)
    committer = make_clerk("face-committer", Permission.RESIDENT_COMMIT, Permission.RESIDENT_VIEW)
    draft = _move_draft(clerk, list(family.atena_numbers))
    page = logged_in(committer).post(
        reverse("registry:draft", args=[draft.change_id]), {"purpose": PURPOSE, "commit": "1"}
    )
    content = page.content.decode()
    assert "券面の追記" in content
    forms = re.findall(r'<form method="post" action="/certificates/card-forms/">(.*?)</form>', content, re.S)
    offered = [
        (
            re.search(r'name="atena_number" value="([^"]+)"', f).group(1),
            re.search(r'name="card_kind" value="(\w+)"', f).group(1),
        )  # type: ignore[union-attr]
        for f in forms
    ]
    assert offered == [(head, "individual_number")]  # the wife holds no card
    assert wife not in [atena for atena, _ in offered]


def test_the_record_screen_has_the_card_forms_button_and_it_only_prefills(
    family: DraftRecorded, make_clerk: Callable[..., User], certifier: Any
) -> None:
    user = make_clerk("looker", Permission.RESIDENT_VIEW, Permission.CERTIFICATE_NOTICE_PRINT)
    head = family.atena_numbers[0]
    client = logged_in(user)
    page = client.post(
        reverse("registry:lookup"), {"purpose": PURPOSE, "atena_number": head}
    ).content.decode()
    form = re.search(r'<form method="post" action="/certificates/card-forms/">(.*?)</form>', page, re.S)
    assert form is not None
    assert f'name="atena_number" value="{head}"' in form.group(1)
    before = AuditEntry.objects.filter(action="certificate:card_form:print").count()
    prefilled = client.post(reverse("certificates:card_forms"), {"atena_number": head, "prefill": "1"})
    assert prefilled["Content-Type"].startswith("text/html")
    assert f'value="{head}"' in prefilled.content.decode()
    assert AuditEntry.objects.filter(action="certificate:card_form:print").count() == before

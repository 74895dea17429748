"""Notices printed from registry changes (issue 6 item 1): 住民票コード通知票 / 変更通知票 / 修正通知票,
職権記載等通知書 and 世帯主変更依頼通知書. Content is read from the signed PDF with pdftotext."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry, AuditResultSubject
from jumin.certificates.registry_notices import (
    CodeNoticeKind,
    print_ex_officio_notice,
    print_ex_officio_record,
    print_head_change_request,
    print_juminhyo_code_notice,
    print_move_receipt_notice,
)
from jumin.domain.errors import DomainError
from jumin.registry.models import Resident, ResidentSnapshot
from jumin.registry.services import DraftRecorded, commit_change, record_move_in
from jumin.registry.workflows.birth import record_birth
from jumin.registry.workflows.ex_officio import (
    ExOfficioAction,
    ExOfficioCorrection,
    RecordBook,
    record_ex_officio_correction,
)
from jumin.registry.workflows.move_out import record_move_out
from tests.certificates.conftest import CERT_PURPOSE
from tests.certificates.helpers import flat, pdf_pages
from tests.helpers.permission_matrix import assert_permission_triple
from tests.registry.conftest import PURPOSE, family_move_in
from tests.registry.test_birth import birth
from tests.registry.test_move_out import move_out

pytestmark = pytest.mark.django_db


@pytest.fixture
def printer_clerk(make_clerk: Callable[..., User]) -> User:
    return make_clerk("printer", Permission.CERTIFICATE_NOTICE_PRINT, Permission.RESIDENT_VIEW)


def text_of(pdf: bytes) -> str:
    return flat("".join(pdf_pages(pdf)))


def code_of(atena: str) -> str:
    snapshot = Resident.objects.get(atena_number=atena).current
    assert snapshot is not None
    return snapshot.juminhyo_code


def ex_officio_surname_change(clerk: User, reviewer: User, atena: str) -> int:
    draft = record_ex_officio_correction(
        actor=clerk,
        purpose=PURPOSE,
        correction=ExOfficioCorrection(
            action=ExOfficioAction.AMENDMENT,
            atena_numbers=[atena],
            items={"surname": "佐藤", "surname_kana": "さとう", "former_surname": ""},
            change_date=timezone.localdate(),
            record=RecordBook(
                legal_basis="住民基本台帳法施行令第12条第2項第1号",
                found_on=timezone.localdate(),
                grounds="戸籍の届出（婚姻）",
                findings="婚姻届の受理を戸籍係から通知。",
            ),
        ),
    )
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    return draft.change_id


def test_the_code_notice_is_addressed_to_the_person_with_the_code(
    family: DraftRecorded, printer_clerk: User, certifier: Any
) -> None:
    wife = family.atena_numbers[1]
    pdf = print_juminhyo_code_notice(
        actor=printer_clerk, purpose=CERT_PURPOSE, atena_number=wife, kind=CodeNoticeKind.ASSIGNED
    )
    text = text_of(pdf)
    assert "住民票コード通知票" in text
    assert "青木花子様" in text
    assert f"住民票コード{code_of(wife)}" in text
    assert "手数料" not in text
    assert AuditEntry.objects.filter(action="certificate:notice:print", subject_id=wife).count() == 1
    with pytest.raises(DomainError) as unchanged:
        print_juminhyo_code_notice(
            actor=printer_clerk, purpose=CERT_PURPOSE, atena_number=wife, kind=CodeNoticeKind.CHANGED
        )
    assert unchanged.value.code == "certificates.juminhyo_code_unchanged"


def test_the_change_and_correction_notices_show_the_code_before(
    family: DraftRecorded, clerk: User, reviewer: User, printer_clerk: User, certifier: Any
) -> None:
    wife = family.atena_numbers[1]
    ex_officio_surname_change(clerk, reviewer, wife)
    # Synthetic: the first row is given an earlier code, as a 変更請求 would have left it.
    ResidentSnapshot.objects.filter(resident__atena_number=wife, history_no=1).update(
        juminhyo_code="98765432109"
    )
    for kind, label in ((CodeNoticeKind.CHANGED, "変更前"), (CodeNoticeKind.CORRECTED, "修正前")):
        text = text_of(
            print_juminhyo_code_notice(
                actor=printer_clerk, purpose=CERT_PURPOSE, atena_number=wife, kind=kind
            )
        )
        assert kind.label in text
        assert f"{label}の住民票コード98765432109" in text
        assert f"住民票コード{code_of(wife)}" in text


def test_the_ex_officio_notice_lists_the_items_before_and_after(
    family: DraftRecorded, clerk: User, reviewer: User, printer_clerk: User, certifier: Any
) -> None:
    change_id = ex_officio_surname_change(clerk, reviewer, family.atena_numbers[1])
    text = text_of(print_ex_officio_notice(actor=printer_clerk, purpose=CERT_PURPOSE, change_id=change_id))
    assert "職権記載等通知書" in text
    assert "佐藤花子様" in text
    assert "氏青木佐藤" in text
    assert "住民基本台帳法施行令第12条第2項第1号" in text


def test_the_ex_officio_record_is_the_offices_record_of_basis_facts_and_deciders(
    family: DraftRecorded, clerk: User, reviewer: User, printer_clerk: User, certifier: Any
) -> None:
    """職権記録書 (4.2.0.1-a): no addressee; basis, facts found, who entered and who decided; each person
    on it named in the audit entry of the read."""
    wife = family.atena_numbers[1]
    change_id = ex_officio_surname_change(clerk, reviewer, wife)
    text = text_of(print_ex_officio_record(actor=printer_clerk, purpose=CERT_PURPOSE, change_id=change_id))
    assert "職権記録書" in text
    assert "様" not in text  # an internal record, addressed to nobody
    assert "住民基本台帳法施行令第12条第2項第1号" in text
    assert "婚姻届の受理を戸籍係から通知。" in text
    assert f"異動番号{change_id}" in text
    assert f"入力者{clerk}" in text
    assert f"決裁者（本登録）{reviewer}" in text
    assert "戸籍届出・通知日－" in text  # entered without one (4.2.0.4-a)
    assert f"{wife}佐藤花子氏青木佐藤" in text
    entry = AuditEntry.objects.filter(action="resident:ex_officio_record:view", outcome="done").get()
    assert list(AuditResultSubject.objects.filter(entry=entry).values_list("subject_id", flat=True)) == [wife]
    with pytest.raises(DomainError) as missing:
        print_ex_officio_record(actor=printer_clerk, purpose=CERT_PURPOSE, change_id=family.change_id)
    assert missing.value.code == "registry.no_such_ex_officio_change"


def test_the_move_receipt_goes_to_the_notifier_at_the_address_before_the_move(
    family: DraftRecorded, printer_clerk: User, certifier: Any
) -> None:
    """住民異動届受理通知 (4.1.0.3-a) of a 転入: to the notifier at the 転入前住所, every mover listed and
    named in the print's audit entry."""
    before = AuditEntry.objects.count()
    text = text_of(
        print_move_receipt_notice(
            actor=printer_clerk,
            purpose=CERT_PURPOSE,
            change_id=family.change_id,
            notifier_name="青木　太郎",
            notifier_capacity="世帯主",
        )
    )
    assert "住民異動届受理通知" in text
    assert "東京都日野市神明1丁目1番1号" in text
    assert "青木太郎様" in text
    assert "届出人青木太郎（世帯主）" in text
    assert "異動事由国内転入" in text
    for name in ("青木太郎", "青木花子", "青木三奈"):
        assert name in text
    entry = AuditEntry.objects.filter(seq__gt=before, action="certificate:notice:print").get()
    listed = set(AuditResultSubject.objects.filter(entry=entry).values_list("subject_id", flat=True))
    assert listed == set(family.atena_numbers)


def test_a_birth_receipt_goes_to_the_newborn_at_the_new_address_and_other_changes_are_refused(
    family: DraftRecorded,
    clerk: User,
    reviewer: User,
    printer_clerk: User,
    certifier: Any,
) -> None:
    born = record_birth(actor=clerk, purpose=PURPOSE, birth=birth(family.household_number))
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=born.change_id)
    text = text_of(
        print_move_receipt_notice(actor=printer_clerk, purpose=CERT_PURPOSE, change_id=born.change_id)
    )
    assert "青木一郎様" in text
    assert "異動事由出生" in text
    assert "東京都日野市" not in text
    change_id = ex_officio_surname_change(clerk, reviewer, family.atena_numbers[1])
    with pytest.raises(DomainError) as other:
        print_move_receipt_notice(actor=printer_clerk, purpose=CERT_PURPOSE, change_id=change_id)
    assert other.value.code == "registry.no_receipt_notice"
    with pytest.raises(DomainError) as long_name:
        print_move_receipt_notice(
            actor=printer_clerk, purpose=CERT_PURPOSE, change_id=family.change_id, notifier_name="あ" * 101
        )
    assert (long_name.value.code, long_name.value.field) == ("certificates.too_long", "notifier_name")


def test_the_head_change_request_goes_to_the_first_remaining_member(
    family: DraftRecorded, clerk: User, reviewer: User, printer_clerk: User, certifier: Any
) -> None:
    head = family.atena_numbers[0]
    draft = record_move_out(actor=clerk, purpose=PURPOSE, move_out=move_out([head]))
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    text = text_of(
        print_head_change_request(actor=printer_clerk, purpose=CERT_PURPOSE, change_id=draft.change_id)
    )
    assert "世帯主変更依頼通知書" in text
    assert "青木花子様" in text
    assert "青木三奈" in text
    assert "青木太郎" not in text
    with pytest.raises(DomainError) as none:
        print_head_change_request(actor=printer_clerk, purpose=CERT_PURPOSE, change_id=family.change_id)
    assert none.value.code == "registry.no_head_change_request"


def test_the_head_change_request_follows_the_5_2_order_not_the_atena_order(
    clerk: User, reviewer: User, printer_clerk: User, code_pool: list[str], certifier: Any
) -> None:
    members = family_move_in().members  # 世帯主, 妻, 子 registered as 世帯主, 子, 妻
    moved = record_move_in(
        actor=clerk, purpose=PURPOSE, move_in=family_move_in(members=[members[0], members[2], members[1]])
    )
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=moved.change_id)
    head = moved.atena_numbers[0]
    draft = record_move_out(actor=clerk, purpose=PURPOSE, move_out=move_out([head]))
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    text = text_of(
        print_head_change_request(actor=printer_clerk, purpose=CERT_PURPOSE, change_id=draft.change_id)
    )
    assert "青木花子様" in text  # the 妻 ranks before the 子 (standard 5.2), though registered after


def test_the_notice_screen_and_api_permission_triples(
    family: DraftRecorded, make_staff: Callable[..., Any], certifier: Any
) -> None:
    wife = family.atena_numbers[1]
    assert_permission_triple(
        make_staff,
        "post",
        reverse("certificates:registry_notice"),
        Permission.CERTIFICATE_NOTICE_PRINT,
        data={"purpose": CERT_PURPOSE, "notice": "code_assigned", "atena_number": wife},
    )
    body = {"purpose": CERT_PURPOSE, "atena_number": wife, "kind": "assigned"}
    assert_permission_triple(
        make_staff,
        "post",
        "/api/certificates/notices/juminhyo-code",
        Permission.CERTIFICATE_NOTICE_PRINT,
        data=json.dumps(body),
        content_type="application/json",
        success_status=(200,),
    )
    holder = make_staff(permissions=[Permission.CERTIFICATE_NOTICE_PRINT])
    response = holder.post(
        "/api/certificates/notices/juminhyo-code", data=json.dumps(body), content_type="application/json"
    )
    assert "住民票コード通知票" in text_of(base64.b64decode(response.json()["pdf_base64"]))
    screen = holder.post(
        reverse("certificates:registry_notice"),
        data={"purpose": CERT_PURPOSE, "notice": "head_change_request", "change_id": str(family.change_id)},
    )
    assert "世帯主のいなくなった世帯" in screen.content.decode()


def test_the_ex_officio_and_head_change_apis_permission_triples(
    family: DraftRecorded, clerk: User, reviewer: User, make_staff: Callable[..., Any], certifier: Any
) -> None:
    change_id = ex_officio_surname_change(clerk, reviewer, family.atena_numbers[1])
    assert_permission_triple(
        make_staff,
        "post",
        "/api/certificates/notices/ex-officio",
        Permission.RESIDENT_VIEW,  # the registry's audited read of the notice data
        data=json.dumps({"purpose": CERT_PURPOSE, "change_id": change_id}),
        content_type="application/json",
        success_status=(200,),
    )
    assert_permission_triple(
        make_staff,
        "post",
        "/api/certificates/notices/move-receipt",
        Permission.CERTIFICATE_NOTICE_PRINT,
        data=json.dumps(
            {"purpose": CERT_PURPOSE, "change_id": family.change_id, "notifier_capacity": "本人"}
        ),
        content_type="application/json",
        success_status=(200,),
    )
    assert_permission_triple(
        make_staff,
        "post",
        "/api/certificates/notices/ex-officio-record",
        Permission.RESIDENT_VIEW,
        data=json.dumps({"purpose": CERT_PURPOSE, "change_id": change_id}),
        content_type="application/json",
        success_status=(200,),
    )
    head = family.atena_numbers[0]
    draft = record_move_out(actor=clerk, purpose=PURPOSE, move_out=move_out([head]))
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    assert_permission_triple(
        make_staff,
        "post",
        "/api/certificates/notices/head-change-request",
        Permission.CERTIFICATE_NOTICE_PRINT,
        data=json.dumps({"purpose": CERT_PURPOSE, "change_id": draft.change_id}),
        content_type="application/json",
        success_status=(200,),
    )

"""Issuing 住民票の写し and 除票の写し (issue 6 items 1–3, 6; standard 1.3.8-a, 5.1–5.7; C-24, C-35, C-45).

Every assertion on content reads the issued, signed PDF with poppler's pdftotext.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone

from jumin.accounts.authorization import AccessRefused
from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.certificates.models import Issuance, IssuedCopy
from jumin.certificates.services import IssuedCertificate, issue_certificate, preview_certificate
from jumin.domain.certificates import (
    CertificateKind,
    IdentityCheck,
    Layout,
    RequesterClass,
    ThirdPartyPurpose,
)
from jumin.domain.errors import DomainError
from jumin.domain.resident import ForeignResidentItems, ResidentKind, Sex
from jumin.domain.uncertain_dates import UncertainDate, UncertainPattern
from jumin.domain.wareki import WarekiDate
from jumin.registry.models import Resident, ResidentSnapshot
from jumin.registry.services import DraftRecorded, commit_change, record_move_in
from jumin.registry.workflows.move_out import record_move_out
from jumin.registry.workflows.move_within import MoveWithin, record_move_within
from tests.certificates.conftest import CERT_PURPOSE, options_for, own_request
from tests.certificates.helpers import flat, pdf_pages
from tests.registry.conftest import PURPOSE, person
from tests.registry.test_move_in import ADDRESS, family_move_in
from tests.registry.test_move_out import move_out

pytestmark = pytest.mark.django_db

MY_NUMBER = "123456789018"  # a valid check digit; synthetic


def issue(
    actor: User, numbers: tuple[str, ...] | list[str], *, request: Any = None, **options: Any
) -> IssuedCertificate:
    return issue_certificate(
        actor=actor,
        purpose=CERT_PURPOSE,
        request=request or own_request(),
        options=options_for(numbers, **options),
    )


def refused(actor: User, numbers: tuple[str, ...] | list[str], *, request: Any = None, **options: Any) -> str:
    before = AuditEntry.objects.filter(action="certificate:copy:issue", outcome="refused").count()
    issued_before = Issuance.objects.count()
    with pytest.raises(DomainError) as caught:
        issue(actor, numbers, request=request, **options)
    after = AuditEntry.objects.filter(action="certificate:copy:issue", outcome="refused")
    assert after.count() == before + 1, "a refusal is audited"
    assert after.order_by("-seq").first().outcome_reason == caught.value.code  # type: ignore[union-attr]
    assert Issuance.objects.count() == issued_before, "a refusal records no issuance"
    return caught.value.code


def current(atena: str) -> ResidentSnapshot:
    snapshot = Resident.objects.select_related("current").get(atena_number=atena).current
    assert snapshot is not None
    return snapshot


def committed(clerk: User, reviewer: User, **move_in: Any) -> DraftRecorded:
    draft = record_move_in(actor=clerk, purpose=PURPOSE, move_in=family_move_in(**move_in))
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    return draft


def five_members() -> list[Any]:
    return [
        person(),
        person(
            given_name="花子",
            given_name_kana="ハナコ",
            relationship="妻",
            sex=Sex.FEMALE,
            born=WarekiDate("showa", 37, 8, 15),
        ),
        person(
            given_name="一郎",
            given_name_kana="イチロウ",
            relationship="子",
            born=WarekiDate("showa", 60, 5, 20),
        ),
        person(
            given_name="三奈",
            given_name_kana="ミナ",
            relationship="子",
            sex=Sex.FEMALE,
            born=WarekiDate("heisei", 4, 9, 9),
        ),
        person(
            given_name="ハル",
            given_name_kana="ハル",
            relationship="母",
            sex=Sex.FEMALE,
            born=WarekiDate("showa", 10, 3, 3),
        ),
    ]


def test_a_household_copy_prints_members_in_order_with_katakana_furigana_and_katagaki(
    family: DraftRecorded, issuer: User, certifier: Any
) -> None:
    issued = issue(issuer, family.atena_numbers[:1])
    (page,) = pdf_pages(issued.pdf)
    text = flat(page)
    assert "住民票の写し" in page.replace(" ", "")
    assert text.index("青木太郎") < text.index("青木花子") < text.index("青木三奈")
    assert "（アオキタロウ）" in text  # 5.3-a: katakana in parentheses after the name
    assert "長崎県佐世保市相生町1番1号相生ハイツ203号" in text  # 5.4-a: 方書 always printed
    assert "昭和35年4月1日" in text
    assert "平成4年9月9日" in text
    assert "続柄世帯主" in text
    assert "続柄妻" in text
    assert "この写しは、世帯全員の住民票の原本と相違ないことを証明する。" in text
    assert "長崎県佐世保市長見本太郎" in text  # 5.6-a: title after the prefecture name
    assert f"発行番号{issued.copy_numbers[0].replace(' ', '')}1/1" in text
    assert issued.fee == 300


def test_the_stored_member_order_wins_over_registration_order(
    family: DraftRecorded, issuer: User, certifier: Any
) -> None:
    head, wife, child = family.atena_numbers
    # A manual re-order is stored on the snapshots (algorithms.md §D maintenance rules); print follows it.
    ResidentSnapshot.objects.filter(pk=current(child).pk).update(member_order=2)
    ResidentSnapshot.objects.filter(pk=current(wife).pk).update(member_order=3)
    text = flat(pdf_pages(issue(issuer, [head]).pdf)[0])
    assert text.index("青木太郎") < text.index("青木三奈") < text.index("青木花子")


def test_five_members_continue_on_a_second_sheet_and_only_the_last_carries_the_certification(
    clerk: User, reviewer: User, code_pool: list[str], issuer: User, certifier: Any
) -> None:
    draft = committed(clerk, reviewer, members=five_members())
    issued = issue(issuer, draft.atena_numbers[:1])
    first, second = (flat(p) for p in pdf_pages(issued.pdf))
    number = issued.copy_numbers[0].replace(" ", "")
    assert f"{number}1/2" in first
    assert f"{number}2/2" in second
    assert sum(name in first for name in ("青木太郎", "青木花子", "青木一郎", "青木三奈", "青木ハル")) == 4
    assert "青木ハル" in second
    assert "証明する" not in first
    assert "証明する" in second
    assert "見本太郎" not in first
    assert issued.sheets == 2


def test_every_copy_gets_its_own_serial_and_the_fee_counts_copies(
    family: DraftRecorded, issuer: User, certifier: Any
) -> None:
    issued = issue(issuer, family.atena_numbers[:1], copies=2)
    first, second = issued.copy_numbers
    assert int(second.split()[-1]) == int(first.split()[-1]) + 1
    pages = [flat(p) for p in pdf_pages(issued.pdf)]
    assert f"{first.replace(' ', '')}1/1" in pages[0]
    assert f"{second.replace(' ', '')}1/1" in pages[1]
    assert issued.fee == 600
    next_one = issue(issuer, family.atena_numbers[:1])
    assert int(next_one.copy_numbers[0].split()[-1]) == int(second.split()[-1]) + 1


def test_personal_layout_is_one_certificate_per_person(
    family: DraftRecorded, issuer: User, certifier: Any
) -> None:
    issued = issue(issuer, family.atena_numbers[:2], whole_household=False, layout=Layout.PERSONAL)
    pages = [flat(p) for p in pdf_pages(issued.pdf)]
    assert len(pages) == len(issued.copy_numbers) == 2
    assert "青木太郎" in pages[0]
    assert "青木花子" not in pages[0]
    assert all("この写しは、住民票の原本と相違ないことを証明する。" in p for p in pages)


def test_part_of_a_household_prints_only_the_chosen_members(
    family: DraftRecorded, issuer: User, certifier: Any
) -> None:
    head, _wife, child = family.atena_numbers
    text = flat(pdf_pages(issue(issuer, [child, head], whole_household=False).pdf)[0])
    assert "青木太郎" in text
    assert "青木三奈" in text
    assert "青木花子" not in text
    assert "世帯の一部の住民票" in text
    assert Issuance.objects.get().subjects == [head, child]


def test_optional_items_are_left_off_unless_asked_for(
    family: DraftRecorded, issuer: User, certifier: Any
) -> None:
    head = family.atena_numbers[0]
    code = current(head).juminhyo_code
    plain = flat(pdf_pages(issue(issuer, [head]).pdf)[0])
    assert "本籍" not in plain
    assert code not in plain
    assert "住民票コード" not in plain
    full = flat(pdf_pages(issue(issuer, [head], show_honseki=True, show_juminhyo_code=True).pdf)[0])
    assert "本籍長崎県佐世保市八幡町1番地" in full
    assert "筆頭者青木太郎" in full
    assert f"住民票コード{code}" in full
    bare = flat(pdf_pages(issue(issuer, [head], show_head_and_relationship=False).pdf)[0])
    assert "世帯主" not in bare
    assert "続柄" not in bare


def test_a_person_with_an_open_draft_is_held_back_then_the_committed_state_prints(
    family: DraftRecorded, clerk: User, reviewer: User, issuer: User, certifier: Any
) -> None:
    head, wife, child = family.atena_numbers
    draft = record_move_within(
        actor=clerk,
        purpose=PURPOSE,
        move=MoveWithin(
            movers=[wife],
            address=type(ADDRESS)(address="長崎県佐世保市八幡町2番2号"),
            move_date=timezone.localdate(),
            notification_date=timezone.localdate(),
            relationships={wife: "世帯主"},
        ),
    )
    # Standard 4.0.8-a: no certificate of a drafted person, alone or on a household copy.
    assert refused(issuer, [wife]) == "certificates.pending_draft"
    assert refused(issuer, [head, wife, child]) == "certificates.pending_draft"
    with pytest.raises(DomainError) as preview:
        preview_certificate(
            actor=issuer, purpose=CERT_PURPOSE, request=own_request(), options=options_for([wife])
        )
    assert preview.value.code == "certificates.pending_draft"
    assert str(draft.change_id) in preview.value.reason
    assert "花子" not in str(preview.value)
    # The rest of the household is not held back, and prints without the draft.
    text = flat(pdf_pages(issue(issuer, [head, child], whole_household=False).pdf)[0])
    assert "八幡町2番2号" not in text
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    assert "八幡町2番2号" in flat(pdf_pages(issue(issuer, [wife]).pdf)[0])


def test_a_planned_mover_copy_leaves_off_the_move_out_items_until_the_date(
    family: DraftRecorded, clerk: User, reviewer: User, issuer: User, certifier: Any
) -> None:
    numbers = family.atena_numbers
    planned = timezone.localdate() + timedelta(days=10)
    draft = record_move_out(actor=clerk, purpose=PURPOSE, move_out=move_out(numbers, planned_date=planned))
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    copy = flat(pdf_pages(issue(issuer, numbers[:1]).pdf)[0])
    assert "青木太郎" in copy
    assert "福岡県福岡市" not in copy
    removed = flat(pdf_pages(issue(issuer, numbers[:1], kind=CertificateKind.REMOVED_COPY).pdf)[0])
    assert "転出先（予定）福岡県福岡市" in removed
    assert "除かれた住民票" in removed
    assert "住民票の除票の写し" in removed


def test_a_removed_person_is_never_on_a_copy_of_the_current_household(
    family: DraftRecorded, clerk: User, reviewer: User, issuer: User, certifier: Any
) -> None:
    head, _wife, child = family.atena_numbers
    draft = record_move_out(actor=clerk, purpose=PURPOSE, move_out=move_out([child]))
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    whole = flat(pdf_pages(issue(issuer, [head]).pdf)[0])
    assert "青木三奈" not in whole  # 5.1-e (X): never mixed
    assert refused(issuer, [head, child], whole_household=False) == "certificates.wrong_status"
    removed = flat(pdf_pages(issue(issuer, [child], kind=CertificateKind.REMOVED_COPY).pdf)[0])
    assert "氏名青木三奈" in removed
    assert "氏名青木太郎" not in removed
    assert "国内転出により消除" in removed


def test_people_of_other_households_cannot_share_a_certificate(
    family: DraftRecorded, clerk: User, reviewer: User, issuer: User, certifier: Any
) -> None:
    other = committed(clerk, reviewer, members=[person(surname="佐藤", surname_kana="サトウ")])
    code = refused(issuer, [family.atena_numbers[0], other.atena_numbers[0]], whole_household=False)
    assert code == "certificates.not_same_household"


def test_unknown_dates_print_as_recorded_and_foreign_residents_in_seireki(
    clerk: User, reviewer: User, code_pool: list[str], issuer: User, certifier: Any
) -> None:
    vague = UncertainDate.create(UncertainPattern.U11, era="showa", year=40, month=5)  # 昭和40年5月 日不詳
    foreigner = person(
        surname="グエン",
        given_name="ヴァン アン",
        surname_kana="グエン",
        given_name_kana="ヴァンアン",
        kind=ResidentKind.FOREIGN,
        relationship="同居人",
        born=date(1995, 3, 7),
    )
    draft = committed(clerk, reviewer, members=[person(born=vague), foreigner])
    text = flat(pdf_pages(issue(issuer, draft.atena_numbers[:1]).pdf)[0])
    assert flat(vague.display()) in text
    assert "1995年3月7日" in text
    assert "在留資格技術・人文知識・国際業務" in text
    assert "在留期間の満了の日2029年3月31日" in text
    hidden = flat(pdf_pages(issue(issuer, draft.atena_numbers[:1], show_foreign_items=False).pdf)[0])
    assert "在留資格" not in hidden
    assert "1995年3月7日" in hidden


def test_1_1_2_b_the_landing_period_of_a_temporary_refugee_prints_as_the_period_of_stay(
    clerk: User, reviewer: User, code_pool: list[str], issuer: User, certifier: Any
) -> None:
    refugee = person(
        surname="ミン",
        surname_kana="ミン",
        kind=ResidentKind.FOREIGN,
        foreign=ForeignResidentItems(nationality_code="104", category="一時庇護許可者", landing_period="6月"),
    )
    draft = committed(clerk, reviewer, members=[refugee])
    text = flat(pdf_pages(issue(issuer, draft.atena_numbers[:1]).pdf)[0])
    assert "一時庇護許可者" in text
    assert "在留期間等6月" in text


def test_an_individual_number_is_printed_only_for_the_person_with_reason_and_recipient_recorded(
    family: DraftRecorded, issuer: User, certifier: Any, make_clerk: Callable[..., User]
) -> None:
    head = family.atena_numbers[0]
    snapshot = current(head)
    snapshot.set_individual_number(MY_NUMBER)
    snapshot.save()
    with_number = own_request(request_reason="年金の手続", submit_to="年金事務所")
    # The clerk also needs 特定個人情報 access (C-9): refused and audited without it.
    with pytest.raises(AccessRefused):
        issue(issuer, [head], request=with_number, show_individual_number=True)
    officer = make_clerk("officer", Permission.CERTIFICATE_ISSUE, Permission.INDIVIDUAL_NUMBER_ACCESS)
    issued = issue(officer, [head], request=with_number, show_individual_number=True, whole_household=False)
    assert f"個人番号{MY_NUMBER}" in flat(pdf_pages(issued.pdf)[0])
    record = Issuance.objects.get(pk=issued.issuance_id)
    assert (record.request_reason, record.submit_to, record.individual_number_printed) == (
        "年金の手続",
        "年金事務所",
        True,
    )
    entry = AuditEntry.objects.filter(action="certificate:copy:issue", outcome="done").get()
    assert entry.individual_number_used
    assert MY_NUMBER not in flat(pdf_pages(issue(officer, [head]).pdf)[0])  # left off unless asked for (C-35)
    third = own_request(
        requester_class=RequesterClass.THIRD_PARTY,
        requester_name="見本 債権回収株式会社",
        third_party_purpose=ThirdPartyPurpose.RIGHTS_OR_DUTIES,
        purpose_detail="債権回収",
        request_reason="債権回収",
        submit_to="裁判所",
    )
    code = refused(officer, [head], request=third, show_individual_number=True)
    assert code == "certificates.individual_number_requester"


def test_an_agent_without_power_of_attorney_is_refused_and_audited(
    family: DraftRecorded, issuer: User, certifier: Any
) -> None:
    agent = own_request(requester_class=RequesterClass.AGENT, requester_name="代理 一郎")
    assert (
        refused(issuer, family.atena_numbers[:1], request=agent) == "certificates.power_of_attorney_required"
    )


def test_official_use_is_marked_and_free(family: DraftRecorded, issuer: User, certifier: Any) -> None:
    official = own_request(
        requester_class=RequesterClass.OFFICIAL,
        requester_name="見本県税事務所",
        purpose_detail="地方税法第20条の11による調査",
        identity_check=IdentityCheck.OFFICIAL_REQUEST_FORM,
    )
    issued = issue(issuer, family.atena_numbers[:1], request=official)
    assert "公用" in flat(pdf_pages(issued.pdf)[0])
    assert issued.fee == 0
    assert Issuance.objects.get().official_use
    plain = issue(issuer, family.atena_numbers[:1])
    assert "公用" not in flat(pdf_pages(plain.pdf)[0])


def test_the_issue_history_records_the_standard_fields_and_one_audit_entry(
    family: DraftRecorded, issuer: User, certifier: Any
) -> None:
    agent = own_request(
        requester_class=RequesterClass.AGENT,
        requester_name="代理 一郎",
        power_of_attorney_checked=True,
        identity_check=IdentityCheck.PASSPORT,
    )
    before = AuditEntry.objects.count()
    issued = issue(issuer, family.atena_numbers[:1], request=agent, copies=2, show_juminhyo_code=True)
    record = Issuance.objects.get(pk=issued.issuance_id)
    assert record.issued_at is not None
    assert record.user == issuer
    assert record.user_name == "issuer"
    assert record.kind == "copy"
    assert record.layout == "household"
    assert record.copies == 2
    assert record.sheets == 2
    assert record.subjects == list(family.atena_numbers)
    assert record.options["show_juminhyo_code"] is True
    assert record.juminhyo_code_printed
    assert (record.requester_class, record.identity_check, record.power_of_attorney_checked) == (
        "agent",
        "passport",
        True,
    )
    assert record.certifier == certifier
    assert record.seal_printed
    assert list(
        IssuedCopy.objects.filter(issuance=record).order_by("position").values_list("copy_number", flat=True)
    ) == list(issued.copy_numbers)
    entries = list(AuditEntry.objects.filter(seq__gt=0).order_by("seq"))[before:]
    assert [(e.action, e.outcome, e.subject_id) for e in entries] == [
        ("certificate:copy:issue", "done", str(record.pk))
    ]
    assert entries[0].result_count == 3


def test_a_person_with_an_unusual_certificate_request_without_permission_is_refused(
    family: DraftRecorded, make_clerk: Callable[..., User], certifier: Any
) -> None:
    viewer = make_clerk("viewer", Permission.RESIDENT_VIEW)
    with pytest.raises(AccessRefused):
        issue(viewer, family.atena_numbers[:1])
    assert not Issuance.objects.exists()
    assert AuditEntry.objects.filter(action="certificate:copy:issue", outcome="refused").count() == 1


def test_a_certificate_of_stated_items_states_the_basic_items_and_may_leave_off_the_katagaki(
    family: DraftRecorded, issuer: User, certifier: Any
) -> None:
    head = family.atena_numbers[0]
    stated = flat(pdf_pages(issue(issuer, [head], kind=CertificateKind.STATED_ITEMS).pdf)[0])
    assert "住民票記載事項証明書" in stated
    assert "上記のとおり住民票に記載されていることを証明する。" in stated
    assert "青木太郎（アオキタロウ）" in stated
    assert "昭和35年4月1日" in stated
    assert "相生ハイツ203号" in stated  # 5.4-a: printed unless its omission is requested
    assert "住民となった年月日" not in stated
    bare = flat(
        pdf_pages(issue(issuer, [head], kind=CertificateKind.STATED_ITEMS, omit_katagaki=True).pdf)[0]
    )
    assert "長崎県佐世保市相生町1番1号" in bare
    assert "相生ハイツ" not in bare
    assert refused(issuer, [head], omit_katagaki=True) == "certificates.katagaki_required"


def test_a_removed_record_has_its_own_certificate_of_stated_items(
    family: DraftRecorded, clerk: User, reviewer: User, issuer: User, certifier: Any
) -> None:
    child = family.atena_numbers[2]
    draft = record_move_out(actor=clerk, purpose=PURPOSE, move_out=move_out([child]))
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    text = flat(pdf_pages(issue(issuer, [child], kind=CertificateKind.REMOVED_STATED_ITEMS).pdf)[0])
    assert "除票記載事項証明書" in text
    assert "上記のとおり除かれた住民票に記載されていることを証明する。" in text
    assert "国内転出により消除" in text
    assert refused(issuer, [child], kind=CertificateKind.STATED_ITEMS) == "certificates.wrong_status"

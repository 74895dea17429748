"""Individual provision and transfer on the 業務端末 (issue 9 item 3)."""

from __future__ import annotations

import unicodedata
from unittest import mock

import pytest

from jumin.accounts import clock, grants
from jumin.accounts.authorization import AccessRefused
from jumin.accounts.errors import RuleRefused
from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.domain.errors import DomainError
from jumin.jukinet.prefecture import selectors
from jumin.jukinet.prefecture.models import IdentityRecord
from jumin.jukinet.prefecture.provision import national
from jumin.jukinet.prefecture.provision.keys import SearchKey
from jumin.jukinet.prefecture.provision.models import LegalBasis, ProvisionRecord, RequestingBody
from jumin.jukinet.prefecture.provision.provide import provide
from jumin.jukinet.prefecture.provision.selectors import provision_history, provisions_concerning
from jumin.jukinet.prefecture.provision.synthetic import Person, person
from jumin.jukinet.prefecture.selectors import records_by_four_items
from tests.helpers.accounts import grant_permissions, make_user
from tests.jukinet.provision.conftest import PURPOSE, operator_of


def test_search_by_resident_code_provides_only_the_basis_items(
    people: list[Person], operator: User, narrow_basis: LegalBasis
) -> None:
    target = people[3]
    result = provide(
        actor=operator,
        basis_id=narrow_basis.pk,
        key=SearchKey(by="resident_code", resident_code=target.resident_code),
        purpose=PURPOSE,
    )
    assert result.outcome == "provided"
    assert result.persons == [{"name": target.name, "address": target.address}]
    record = ProvisionRecord.objects.get()
    assert record.resident_code == target.resident_code
    assert record.items == ["name", "address"]
    assert record.kind == ProvisionRecord.Kind.PROVISION
    assert record.operator_username == operator.username
    assert AuditEntry.objects.filter(action="provision:supply", outcome="done").count() == 1
    audited = AuditEntry.objects.get(action="provision:supply")
    assert audited.subject_type == "prefecture_identity"
    stored = IdentityRecord.objects.get(resident_code=target.resident_code)
    assert list(audited.result_subjects.values_list("subject_id", flat=True)) == [str(stored.pk)]
    assert f"legal_basis={narrow_basis.pk}" in audited.reason


def test_a_department_gets_a_transfer(people: list[Person], department: RequestingBody) -> None:
    basis = LegalBasis.objects.create(
        body=department, code="T1", label="県税事務", article="住基法30条の15第1項", allowed_items=["name"]
    )
    clerk = operator_of(department, Permission.PROVISION_PROVIDE)
    provide(
        actor=clerk,
        basis_id=basis.pk,
        key=SearchKey(by="resident_code", resident_code=people[0].resident_code),
        purpose=PURPOSE,
    )
    assert ProvisionRecord.objects.get().kind == ProvisionRecord.Kind.TRANSFER


def test_search_by_individual_number_needs_specific_personal_information_access(
    people: list[Person], operator: User, basis: LegalBasis
) -> None:
    key = SearchKey(by="individual_number", individual_number=people[1].individual_number)
    with pytest.raises(AccessRefused):
        provide(actor=operator, basis_id=basis.pk, key=key, purpose=PURPOSE)
    refused = ProvisionRecord.objects.get()
    assert refused.outcome == ProvisionRecord.Outcome.REFUSED
    assert refused.searched_number_index  # the blind index, never the number
    assert people[1].individual_number not in str(refused.__dict__)


def test_search_by_individual_number_provides_the_number_to_an_allowed_operator(
    people: list[Person], number_operator: User, basis: LegalBasis
) -> None:
    target = people[2]
    result = provide(
        actor=number_operator,
        basis_id=basis.pk,
        key=SearchKey(by="individual_number", individual_number=target.individual_number),
        purpose=PURPOSE,
    )
    assert result.persons[0]["individual_number"] == target.individual_number
    assert result.persons[0]["resident_code"] == target.resident_code
    assert AuditEntry.objects.get(action="provision:supply").individual_number_used


def test_the_number_is_withheld_from_an_operator_without_number_access(
    people: list[Person], operator: User, basis: LegalBasis
) -> None:
    result = provide(
        actor=operator,
        basis_id=basis.pk,
        key=SearchKey(by="resident_code", resident_code=people[0].resident_code),
        purpose=PURPOSE,
    )
    assert "individual_number" not in result.persons[0]
    assert "individual_number" not in ProvisionRecord.objects.get().items


def test_four_items_need_two_items_besides_sex_and_the_refusal_is_logged(
    people: list[Person], operator: User, basis: LegalBasis
) -> None:
    with pytest.raises(DomainError) as raised:
        provide(
            actor=operator,
            basis_id=basis.pk,
            key=SearchKey(by="four_items", name=people[0].name, sex="female"),
            purpose=PURPOSE,
        )
    assert "入力してください" in raised.value.remedy
    assert ProvisionRecord.objects.get().outcome == ProvisionRecord.Outcome.REFUSED
    audited = AuditEntry.objects.get(action="provision:supply")
    assert (audited.outcome, audited.outcome_reason) == ("refused", raised.value.code)
    assert audited.subject_id == str(basis.pk)


def test_four_items_find_one_person_and_several_provide_nothing(
    people: list[Person], operator: User, basis: LegalBasis
) -> None:
    target = people[4]
    found = provide(
        actor=operator,
        basis_id=basis.pk,
        key=SearchKey(by="four_items", name=target.name, birth_date=target.birth_date),
        purpose=PURPOSE,
    )
    assert found.outcome == "provided"
    assert found.persons[0]["resident_code"] == target.resident_code
    same_name = [p for p in people if p.name == target.name]
    assert len(same_name) > 1
    several = provide(
        actor=operator,
        basis_id=basis.pk,
        key=SearchKey(by="four_items", name=target.name, address="佐賀県佐賀市"),
        purpose=PURPOSE,
    )
    assert several.outcome == "multiple"
    assert several.persons == []


def test_a_four_item_search_decrypts_only_the_person_provided(
    people: list[Person], number_operator: User, basis: LegalBasis
) -> None:
    target = people[4]
    real = selectors.decrypt_individual_number
    with mock.patch.object(selectors, "decrypt_individual_number", side_effect=real) as decrypted:
        several = provide(
            actor=number_operator,
            basis_id=basis.pk,
            key=SearchKey(by="four_items", name=target.name, address="佐賀県佐賀市"),
            purpose=PURPOSE,
        )
        assert several.outcome == "multiple"
        assert decrypted.call_count == 0  # candidates stay sealed
        found = provide(
            actor=number_operator,
            basis_id=basis.pk,
            key=SearchKey(by="four_items", name=target.name, birth_date=target.birth_date),
            purpose=PURPOSE,
        )
        assert decrypted.call_count == 1
    assert found.persons[0]["individual_number"] == target.individual_number


def test_a_reading_search_matches_by_the_stores_kana_key_like_query_identity(
    people: list[Person], operator: User, basis: LegalBasis
) -> None:
    """One reader: provision matches the stored 清音化 key, as QUERY_IDENTITY does (hiragana, 濁点)."""
    target = people[3]
    hiragana = "".join(chr(ord(ch) - 0x60) if "ァ" <= ch <= "ヶ" else ch for ch in target.name_kana)
    voiced = unicodedata.normalize("NFC", hiragana[0] + "\u3099")
    reading = (voiced if len(voiced) == 1 else hiragana[0]) + hiragana[1:]  # e.g. ざとう　たろう
    assert reading != target.name_kana
    records, _ = records_by_four_items(name_kana=reading, birth_date=target.birth_date)
    assert [record.resident_code for record in records] == [target.resident_code]
    result = provide(
        actor=operator,
        basis_id=basis.pk,
        key=SearchKey(by="four_items", name_kana=reading, birth_date=target.birth_date),
        purpose=PURPOSE,
    )
    assert result.outcome == "provided"
    assert [p["resident_code"] for p in result.persons] == [target.resident_code]


def test_another_bodys_basis_is_refused_and_logged(
    people: list[Person], operator: User, department: RequestingBody
) -> None:
    foreign = LegalBasis.objects.create(
        body=department, code="T1", label="県税事務", article="住基法30条の15第1項", allowed_items=["name"]
    )
    with pytest.raises(DomainError):
        provide(
            actor=operator,
            basis_id=foreign.pk,
            key=SearchKey(by="resident_code", resident_code=people[0].resident_code),
            purpose=PURPOSE,
        )
    assert ProvisionRecord.objects.get().outcome == ProvisionRecord.Outcome.REFUSED


def test_not_found_here_is_asked_at_the_national_node(
    people: list[Person], operator: User, basis: LegalBasis
) -> None:
    elsewhere = person(900)
    from jumin.jukinet.prefecture.selectors import IdentityView

    answer = [
        IdentityView(
            resident_code=elsewhere.resident_code,
            name=elsewhere.name,
            name_kana=elsewhere.name_kana,
            birth_date=elsewhere.birth_date,
            sex=elsewhere.sex,
            address="東京都千代田区",
            individual_number=elsewhere.individual_number,
            change_reason="転入",
            change_date="2020-04-01",
        )
    ]
    key = SearchKey(by="resident_code", resident_code=elsewhere.resident_code)
    with mock.patch.object(national, "ask_national", return_value=answer) as asked:
        local_only = provide(actor=operator, basis_id=basis.pk, key=key, purpose=PURPOSE)
        assert local_only.outcome == "not_found"
        asked.assert_not_called()
        result = provide(actor=operator, basis_id=basis.pk, key=key, purpose=PURPOSE, ask_national=True)
    assert result.outcome == "national"
    assert result.persons[0]["address"] == "東京都千代田区"
    assert "individual_number" not in result.persons[0]
    outcomes = sorted(ProvisionRecord.objects.values_list("outcome", flat=True))
    assert outcomes == ["national", "not_found"]
    audited = AuditEntry.objects.get(action="provision:supply", subject_type="provision_record")
    national_row = ProvisionRecord.objects.get(outcome="national")
    assert list(audited.result_subjects.values_list("subject_id", flat=True)) == [str(national_row.pk)]


def test_a_revoked_operator_is_refused_at_once(
    people: list[Person], operator: User, basis: LegalBasis
) -> None:
    key = SearchKey(by="resident_code", resident_code=people[0].resident_code)
    provide(actor=operator, basis_id=basis.pk, key=key, purpose=PURPOSE)
    personnel = make_user()
    grant_permissions(personnel, [Permission.HR_EVENT_RECORD])
    grants.record_hr_event(
        actor=personnel,
        staff_number=operator.person.staff_number,  # type: ignore[union-attr]
        kind="transfer",
        effective_on=clock.today(),
        new_department="総務課",
        purpose="人事",
    )
    with pytest.raises(AccessRefused):
        provide(actor=operator, basis_id=basis.pk, key=key, purpose=PURPOSE)
    assert ProvisionRecord.objects.filter(outcome="refused").count() == 1


def test_an_untrained_person_cannot_be_granted_the_terminal_operator_duty(db: None) -> None:
    head = make_user()
    grant_permissions(head, [Permission.STAFF_GRANT_REQUEST])
    untrained = make_user(trained=False)
    with pytest.raises(RuleRefused) as raised:
        grants.apply_for_grant(
            actor=head,
            grantee_id=untrained.pk,
            duty="provision_terminal",
            starts_on=clock.today(),
            ends_on=clock.fiscal_year_end(clock.today()),
            purpose="権限管理",
        )
    assert raised.value.reason_code == "training_missing"


def test_the_persons_provision_history_lists_provisions_newest_first(
    people: list[Person], operator: User, basis: LegalBasis, narrow_basis: LegalBasis
) -> None:
    key = SearchKey(by="resident_code", resident_code=people[5].resident_code)
    provide(actor=operator, basis_id=basis.pk, key=key, purpose=PURPOSE)
    provide(actor=operator, basis_id=narrow_basis.pk, key=key, purpose=PURPOSE)
    other = SearchKey(by="resident_code", resident_code=people[6].resident_code)
    provide(actor=operator, basis_id=basis.pk, key=other, purpose=PURPOSE)
    history = provisions_concerning(people[5].resident_code)
    assert [entry.basis for entry in history] == ["通知事務", "奨学金事務"]
    assert history[0].items == ["氏名", "住所"]
    assert history[0].body == "教育委員会"


def test_the_audited_provision_history_names_the_person_and_checks_the_code(
    people: list[Person], operator: User, basis: LegalBasis
) -> None:
    provide(
        actor=operator,
        basis_id=basis.pk,
        key=SearchKey(by="resident_code", resident_code=people[5].resident_code),
        purpose=PURPOSE,
    )
    desk = make_user()
    grant_permissions(desk, [Permission.PROVISION_DISCLOSURE])
    entries = provision_history(
        actor=desk, resident_code=people[5].resident_code, purpose="provision_disclosure"
    )
    assert [entry.basis for entry in entries] == ["奨学金事務"]
    viewed = AuditEntry.objects.get(action="provision:history:view")
    stored = IdentityRecord.objects.get(resident_code=people[5].resident_code)
    assert (viewed.subject_type, viewed.subject_id) == ("prefecture_identity", str(stored.pk))
    bad = people[5].resident_code[:-1] + str((int(people[5].resident_code[-1]) + 1) % 10)
    with pytest.raises(DomainError):
        provision_history(actor=desk, resident_code=bad, purpose="provision_disclosure")
    refused = AuditEntry.objects.filter(action="provision:history:view").latest("pk")
    assert refused.outcome == "refused"


def test_a_log_row_cannot_be_changed(people: list[Person], operator: User, basis: LegalBasis) -> None:
    key = SearchKey(by="resident_code", resident_code=people[0].resident_code)
    provide(actor=operator, basis_id=basis.pk, key=key, purpose=PURPOSE)
    record = ProvisionRecord.objects.get()
    record.outcome = ProvisionRecord.Outcome.NOT_FOUND
    with pytest.raises(ValueError, match="変更できません"):
        record.save()
    assert ProvisionRecord.objects.get().outcome == ProvisionRecord.Outcome.PROVIDED

"""続柄を証する書類 (standard 1.1.11-c) where a foreign resident's 続柄 is entered: 転入, 法30条の46, 出生.

A kinship 続柄 without the document seen is refused naming the field and the remedy (縁故者), and nothing
is written; the document kept is shown on the 照会 screen and in the history.
"""

import dataclasses
import json
from collections.abc import Callable

import pytest
from django.urls import reverse

from jumin.accounts.models import User
from jumin.domain.errors import DomainError
from jumin.domain.relationship_proof import BIRTH_NOTIFICATION_KIND, RelationshipProof
from jumin.domain.relationships import parse_relationship
from jumin.domain.resident import ResidentKind, Sex
from jumin.registry.forms_household import proof_lines
from jumin.registry.inquiry import resident_timeline
from jumin.registry.models import Change, ResidentSnapshot
from jumin.registry.services import DraftRecorded, commit_change, record_move_in
from jumin.registry.workflows.birth import record_birth
from jumin.registry.workflows.foreign_registration import record_foreign_registration
from jumin.registry.workflows.household_change import record_household_change
from tests.registry.conftest import PURPOSE, current, logged_in
from tests.registry.test_birth import BORN, _foreign_birth
from tests.registry.test_foreign_registration import registration
from tests.registry.test_household_change import HEAD, change
from tests.registry.test_move_out import family
from tests.registry.test_naturalisation import foreign_move_in, foreign_person
from tests.registry.test_views import move_in_form

pytestmark = pytest.mark.django_db
__all__ = ["family"]  # the fixture, imported for use here

MARRIAGE = RelationshipProof("外国政府等発行の婚姻証明書", "2019-05-01 発行 第123号")


def spouse(**extra: object) -> object:
    return foreign_person(
        given_name="THI MAI", given_name_kana="ティマイ", relationship="妻", sex=Sex.FEMALE, **extra
    )


def test_a_foreign_spouse_moves_in_with_the_document_seen_kept_and_shown(
    clerk: User, reviewer: User, code_pool: list[str]
) -> None:
    draft = record_move_in(
        actor=clerk,
        purpose=PURPOSE,
        move_in=foreign_move_in(foreign_person(), spouse(relationship_proof=MARRIAGE)),
    )
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    head, wife = (current(atena) for atena in draft.atena_numbers)
    assert head.relationship_proof is None  # 世帯主: nothing to prove
    assert wife.relationship_proof == {"kind": MARRIAGE.kind, "reference": MARRIAGE.reference}
    page = logged_in(reviewer).post(
        reverse("registry:lookup"), {"purpose": PURPOSE, "atena_number": draft.atena_numbers[1]}
    )
    assert "外国政府等発行の婚姻証明書（2019-05-01 発行 第123号）" in page.content.decode()
    timeline = resident_timeline(actor=reviewer, purpose=PURPOSE, atena_number=draft.atena_numbers[1])
    assert any(
        item.label == "続柄を証する書類" and MARRIAGE.kind in item.after
        for entry in timeline.entries
        for item in entry.changes
    )


def _enter_move_in(clerk: User, *members: object) -> object:
    return record_move_in(actor=clerk, purpose=PURPOSE, move_in=foreign_move_in(*members))


def _enter_registration(clerk: User, *members: object) -> object:
    return record_foreign_registration(actor=clerk, purpose=PURPOSE, registration=registration(*members))


@pytest.mark.parametrize("enter", [_enter_move_in, _enter_registration])
def test_a_foreign_kinship_relationship_without_a_document_is_refused_and_nothing_is_written(
    clerk: User, code_pool: list[str], enter: Callable[..., object]
) -> None:
    with pytest.raises(DomainError) as refused:
        enter(clerk, foreign_person(), spouse(relationship_proof=None))
    assert refused.value.code == "resident.relationship_proof_required"
    assert refused.value.field == "members[1].relationship_proof"
    assert "縁故者" in refused.value.remedy
    assert not Change.objects.exists()
    assert not ResidentSnapshot.objects.exists()


def test_without_a_document_the_person_is_entered_as_enkosha(clerk: User, code_pool: list[str]) -> None:
    enkosha = dataclasses.replace(spouse(relationship_proof=None), relationship=parse_relationship("縁故者"))
    draft = record_move_in(actor=clerk, purpose=PURPOSE, move_in=foreign_move_in(foreign_person(), enkosha))
    row = ResidentSnapshot.objects.get(
        change_id=draft.change_id, resident__atena_number=draft.atena_numbers[1]
    )
    assert (row.relationship, row.relationship_proof) == ("縁故者", None)


def test_a_foreign_child_born_here_is_proved_by_the_birth_notification(
    family: DraftRecorded, clerk: User, reviewer: User
) -> None:
    born = _foreign_birth(family.household_number, BORN)
    born = dataclasses.replace(born, child=dataclasses.replace(born.child, relationship_proof=None))
    draft = record_birth(actor=clerk, purpose=PURPOSE, birth=born)
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    assert current(draft.atena_numbers[0]).relationship_proof == {
        "kind": BIRTH_NOTIFICATION_KIND,
        "reference": f"届出日 {BORN.isoformat()}",
    }


def test_the_move_in_screen_asks_for_the_document_and_records_it(clerk: User, code_pool: list[str]) -> None:
    foreign = {
        "form-1-kind": ResidentKind.FOREIGN.value,
        "form-1-surname": "NGUYEN",
        "form-1-given_name": "THI MAI",
        "form-1-surname_kana": "グエン",
        "form-1-given_name_kana": "ティマイ",
        "form-1-birth_date": "1992-02-29",
        "form-1-relationship": "妻",
        "form-1-honseki": "",
        "form-1-hittousha": "",
        "form-1-nationality_code": "704",
        "form-1-foreign_category": "特別永住者",
        "form-1-special_permanent_resident_number": "AB1234567890",
    }
    client = logged_in(clerk)
    refused = client.post(reverse("registry:move_in"), move_in_form(**foreign))
    assert "を証する書類が記録されていません" in refused.content.decode()
    assert not Change.objects.exists()
    proved = foreign | {
        "form-1-relationship_proof_kind": "届書の受理証明書",
        "form-1-relationship_proof_reference": "令和8年10月1日受理",
    }
    done = client.post(reverse("registry:move_in"), move_in_form(**proved))
    assert done.status_code == 200, done.content.decode()
    row = ResidentSnapshot.objects.get(kind=ResidentKind.FOREIGN)
    assert row.relationship_proof == {"kind": "届書の受理証明書", "reference": "令和8年10月1日受理"}


def test_the_move_in_api_takes_the_document(clerk: User, code_pool: list[str]) -> None:
    from tests.registry.test_api import MOVE_IN, post

    wife = {
        **MOVE_IN["members"][1],
        "kind": "F",
        "birth_date": "1962-08-15",
        "honseki": "",
        "hittousha": "",
        "foreign": {
            "nationality_code": "410",
            "category": "特別永住者",
            "special_permanent_resident_number": "AB1234567890",
        },
    }
    body = {**MOVE_IN, "members": [MOVE_IN["members"][0], wife]}
    refused = post(logged_in(clerk), "/move-ins", body)
    assert refused.status_code == 400
    assert refused.json()["field"] == "members[1].relationship_proof"
    wife["relationship_proof"] = {"kind": "住民票の写し", "reference": "2026-10-01 発行"}
    done = post(logged_in(clerk), "/move-ins", {**MOVE_IN, "members": [MOVE_IN["members"][0], wife]})
    assert done.status_code == 201, json.dumps(done.json(), ensure_ascii=False)
    row = ResidentSnapshot.objects.get(kind=ResidentKind.FOREIGN)
    assert row.relationship_proof == {"kind": "住民票の写し", "reference": "2026-10-01 発行"}


def test_a_household_change_that_sets_a_foreign_kinship_relationship_needs_the_document(
    clerk: User, reviewer: User, code_pool: list[str]
) -> None:
    moved = record_move_in(
        actor=clerk,
        purpose=PURPOSE,
        move_in=foreign_move_in(foreign_person(), spouse(relationship_proof=MARRIAGE)),
    )
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=moved.change_id)
    husband, wife = moved.atena_numbers
    relationships = {husband: "夫", wife: "世帯主"}
    with pytest.raises(DomainError) as refused:
        record_household_change(
            actor=clerk,
            purpose=PURPOSE,
            change=change(HEAD, moved.household_number, relationships=relationships),
        )
    assert refused.value.code == "resident.relationship_proof_required"
    assert refused.value.field == "relationship_proofs[0]"
    assert Change.objects.count() == 1  # only the 転入
    proof = RelationshipProof("住民票の写し", "2026-11-01 発行")
    draft = record_household_change(
        actor=clerk,
        purpose=PURPOSE,
        change=change(
            HEAD, moved.household_number, relationships=relationships, relationship_proofs={husband: proof}
        ),
    )
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    assert current(husband).relationship_proof == proof.as_json()
    assert current(wife).relationship_proof is None  # 世帯主: nothing to prove
    screen_lines = proof_lines(f"{husband} 住民票の写し 2026-11-01 発行\n")
    assert screen_lines == {husband: proof}

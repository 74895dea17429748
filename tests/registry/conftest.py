"""Registry fixtures: staff with real grants, a filled 住民票コード pool, person and household builders."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.domain.relationship_proof import RelationshipProof, needs_proof
from jumin.domain.relationships import parse_relationship
from jumin.domain.resident import ForeignResidentItems, PersonFacts, ResidentKind, Sex
from jumin.domain.wareki import WarekiDate
from jumin.registry import numbering
from jumin.registry.models import Resident, ResidentSnapshot
from jumin.registry.services import Address, DraftRecorded, MoveIn, commit_change, record_move_in
from tests.helpers.accounts import StaffClient, grant_permissions, log_in, make_user, terminal_client

PURPOSE = "resident_counter"
DEFAULT_BIRTH = WarekiDate("showa", 35, 4, 1)
ADDRESS = Address(address="長崎県佐世保市相生町1番1号", katagaki="相生ハイツ 203号", postal_code="8570044")


@pytest.fixture
def make_clerk(db: None) -> Callable[..., User]:
    """A staff account holding a real grant of exactly these permissions (tests/helpers/accounts.py)."""

    def make(username: str, *permissions: Permission) -> User:
        user = make_user(username=username, display_name=username)
        if permissions:
            grant_permissions(user, permissions)
        return user

    return make


def logged_in(user: User) -> StaffClient:
    """A client on a registered terminal, logged in as ``user`` with the second factor passed."""
    return log_in(terminal_client(), user)


@pytest.fixture
def clerk(make_clerk: Callable[..., User]) -> User:
    return make_clerk("maker", Permission.RESIDENT_RECORD, Permission.RESIDENT_VIEW)


@pytest.fixture
def sender(make_clerk: Callable[..., User]) -> User:
    """A clerk who may write the 市町村通知 file: it carries the 在留資格 items (std 10.4-a)."""
    return make_clerk(
        "sender", Permission.RESIDENT_RECORD, Permission.RESIDENT_VIEW, Permission.FIELD_RESIDENCE_STATUS_VIEW
    )


@pytest.fixture
def reviewer(make_clerk: Callable[..., User]) -> User:
    return make_clerk(
        "checker", Permission.RESIDENT_COMMIT, Permission.RESIDENT_VIEW, Permission.RESIDENT_RECORD
    )


@pytest.fixture
def code_pool(db: None) -> list[str]:
    codes = [f"{n:011d}" for n in range(24727059600, 24727059650)]
    numbering.load_code_pool(codes)
    return codes


def person(
    surname: str = "青木",
    given_name: str = "太郎",
    surname_kana: str = "アオキ",
    given_name_kana: str = "タロウ",
    *,
    relationship: str = "世帯主",
    born: WarekiDate | date = DEFAULT_BIRTH,
    sex: Sex = Sex.MALE,
    kind: ResidentKind = ResidentKind.JAPANESE,
    **extra: Any,
) -> PersonFacts:
    """A valid person; tests state only what matters to them (style.md, factories)."""
    if kind is ResidentKind.JAPANESE:
        extra.setdefault("honseki", "長崎県佐世保市八幡町1番地")
        extra.setdefault("hittousha", "青木 太郎")
    else:
        extra.setdefault(
            "foreign",
            ForeignResidentItems(
                nationality_code="704",
                category="中長期在留者",
                alphabet_name="NGUYEN VAN AN",
                residence_status="技術・人文知識・国際業務",
                period_of_stay="5年",
                stay_expiry_date="2029-03-31",
                residence_card_number="AB12345678CD",
            ),
        )
        if needs_proof(parse_relationship(relationship)):  # standard 1.1.11-c
            extra.setdefault("relationship_proof", RelationshipProof("住民票の写し", "令和8年4月1日発行"))
    return PersonFacts(
        kind=kind,
        surname=surname,
        given_name=given_name,
        surname_kana=surname_kana,
        given_name_kana=given_name_kana,
        birth_date=born,
        sex=sex,
        relationship=parse_relationship(relationship),
        **extra,
    )


def family_move_in(**overrides: object) -> MoveIn:
    """The 転入 of a household of three: 世帯主 (1960), 妻 (1962), 子 (1992), in this order."""
    values: dict[str, object] = {
        "members": [
            person(),
            person(
                given_name="花子",
                given_name_kana="ハナコ",
                relationship="妻",
                sex=Sex.FEMALE,
                born=WarekiDate("showa", 37, 8, 15),
            ),
            person(
                given_name="三奈",
                given_name_kana="ミナ",
                relationship="子",
                sex=Sex.FEMALE,
                born=WarekiDate("heisei", 4, 9, 9),
            ),
        ],
        "address": ADDRESS,
        "move_in_date": date(2026, 11, 1),
        "notification_date": date(2026, 11, 10),
        "previous_address": "東京都日野市神明1丁目1番1号",
    }
    values.update(overrides)
    return MoveIn(**values)  # type: ignore[arg-type]


@pytest.fixture
def commit(reviewer: User) -> Callable[[DraftRecorded], DraftRecorded]:
    """本登録 by the reviewer; gives the draft back so a fixture can commit and return in one line."""

    def run(draft: DraftRecorded) -> DraftRecorded:
        commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
        return draft

    return run


@pytest.fixture
def family(
    clerk: User, code_pool: list[str], commit: Callable[[DraftRecorded], DraftRecorded]
) -> DraftRecorded:
    """A committed household: 世帯主, 妻, 子 (in this order of atena_numbers)."""
    return commit(record_move_in(actor=clerk, purpose=PURPOSE, move_in=family_move_in()))


@pytest.fixture
def other_household(clerk: User, reviewer: User, code_pool: list[str]) -> DraftRecorded:
    """A second committed household: 世帯主 and 子."""
    draft = record_move_in(
        actor=clerk,
        purpose=PURPOSE,
        move_in=family_move_in(
            members=[
                person("佐藤", "一郎", "サトウ", "イチロウ"),
                person(
                    "佐藤",
                    "二葉",
                    "サトウ",
                    "フタバ",
                    relationship="子",
                    sex=Sex.FEMALE,
                    born=WarekiDate("heisei", 2, 1, 1),
                ),
            ]
        ),
    )
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    return draft


def current(atena: str) -> ResidentSnapshot:
    """The person's current committed row."""
    snapshot = Resident.objects.select_related("current__household").get(atena_number=atena).current
    assert snapshot is not None
    return snapshot

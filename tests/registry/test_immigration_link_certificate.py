"""Notices about the 特別永住者証明書 (standard 4.5.7-b; docs/workflows/immigration-link.md): every
committed change of an item the certificate states (氏名, 生年月日, 性別, 国籍・地域, 住居地, its number and
expiry), and of the 通称, gives the notice of its class.

All persons are synthetic (tests.registry.conftest, test_naturalisation.foreign_person).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from jumin.accounts.models import User
from jumin.domain.immigration_link import LinkClass, LinkKind, LinkType, link_type
from jumin.domain.resident import ChangeReason, ForeignResidentItems
from jumin.registry.models import Change, Resident
from jumin.registry.models_immigration import MunicipalityNotice
from jumin.registry.services import Address, DraftRecorded, record_move_in
from jumin.registry.snapshots import draft_from_current
from jumin.registry.workflows.ex_officio import ExOfficioAction, MinorCase, record_ex_officio_correction
from jumin.registry.workflows.move_within import MoveWithin, record_move_within
from jumin.registry.workflows.names import AliasOperation, record_alias_application
from tests.registry.conftest import PURPOSE, current
from tests.registry.test_ex_officio import book, correction
from tests.registry.test_names import alias
from tests.registry.test_naturalisation import foreign_move_in, foreign_person

pytestmark = pytest.mark.django_db

CERTIFICATE = ForeignResidentItems(
    nationality_code="410",
    category="特別永住者",
    alphabet_name="KIM MINJUN",
    special_permanent_resident_number="SP1234567890",
)
TRANSMISSION_BOTH = ("市町村伝達", "住基法・入管法")
NOTICE_IMMIGRATION = ("市町村通知", "入管法")
NOTICE_REGISTRY = ("市町村通知", "住基法")


def today() -> date:
    return timezone.localdate()


def last_notice() -> tuple[str, str, dict[str, Any]]:
    notice = MunicipalityNotice.objects.order_by("pk").last()
    assert notice is not None
    return notice.kind, notice.link_class, notice.items


@pytest.fixture
def special_permanent(clerk: User, code_pool: list[str], commit: Callable[..., DraftRecorded]) -> str:
    """A committed 特別永住者, head of their household."""
    holder = foreign_person(surname="KIM", given_name="MINJUN", surname_kana="キム", foreign=CERTIFICATE)
    return commit(
        record_move_in(actor=clerk, purpose=PURPOSE, move_in=foreign_move_in(holder))
    ).atena_numbers[0]


def commit_items(
    clerk: User, commit: Callable[..., DraftRecorded], atena: str, reason: ChangeReason, **foreign: str
) -> None:
    """Commit a change of the person's 30条の45 items directly (the 職権修正 screen changes the personal
    items only; the certificate's own workflow is tests/registry/test_special_permanent_certificate.py)."""
    resident = Resident.objects.get(atena_number=atena)
    row = current(atena)
    with transaction.atomic():
        change = Change.objects.create(
            reason=reason,
            change_date=today(),
            notification_date=today(),
            notification_kind="職権",
            made_by=clerk,
            made_at=timezone.now(),
        )
        draft_from_current(resident, row, change, foreign={**(row.foreign or {}), **foreign})
    commit(DraftRecorded(change_id=change.pk, atena_numbers=(atena,), household_number="", alerts=()))


def test_4_5_7_b_a_move_within_is_the_certificate_holders_residence_notification(
    clerk: User, special_permanent: str, commit: Callable[..., DraftRecorded]
) -> None:
    move = MoveWithin(
        movers=[special_permanent],
        address=Address(address="長崎県佐世保市八幡町2番3号"),
        move_date=today() - timedelta(days=1),
        notification_date=today(),
    )
    commit(record_move_within(actor=clerk, purpose=PURPOSE, move=move))
    kind, link_class, items = last_notice()
    assert (kind, link_class, items["address"]) == (*TRANSMISSION_BOTH, "長崎県佐世保市八幡町2番3号")


@pytest.mark.parametrize(
    ("item", "value", "expected"),
    [
        ("surname", "李", ""),  # the 漢字 name; the notice's 氏名 is the 氏名（ローマ字）
        ("birth_date", "1990-06-01", "19900601"),
        ("sex", "female", "female"),
    ],
)
def test_4_5_7_b_a_change_of_a_certificate_item_is_the_holders_notification_of_change(
    clerk: User,
    special_permanent: str,
    commit: Callable[..., DraftRecorded],
    item: str,
    value: str,
    expected: str,
) -> None:
    """入管特例法11条: the 変更届出 is made through the municipality; the amendment relays it."""
    commit(
        record_ex_officio_correction(
            actor=clerk,
            purpose=PURPOSE,
            correction=correction([special_permanent], {item: value}, record=book(grounds="変更届出")),
        )
    )
    kind, link_class, items = last_notice()
    assert (kind, link_class) == TRANSMISSION_BOTH
    assert items.get(item, "") == expected


@pytest.mark.parametrize(
    ("changes", "item", "expected"),
    [
        ({"nationality_code": "158"}, "nationality_code", "158"),
        ({"alphabet_name": "LEE MINJUN"}, "name", "LEE MINJUN"),
    ],
)
def test_4_5_7_b_a_change_of_nationality_or_latin_name_with_a_new_certificate_is_transmitted(
    clerk: User,
    special_permanent: str,
    commit: Callable[..., DraftRecorded],
    changes: dict[str, str],
    item: str,
    expected: str,
) -> None:
    new_certificate = {"special_permanent_resident_number": "SP0987654321"}
    commit_items(
        clerk, commit, special_permanent, ChangeReason.EX_OFFICIO_AMENDMENT, **changes, **new_certificate
    )
    kind, link_class, items = last_notice()
    assert (kind, link_class, items[item]) == (*TRANSMISSION_BOTH, expected)


@pytest.mark.parametrize(
    "changes",
    [
        {"special_permanent_resident_number": "SP0987654321"},
        {"special_permanent_resident_number": "SP0987654321", "stay_expiry_date": "2036-05-01"},
        {"stay_expiry_date": "2036-05-01"},
    ],
)
def test_4_5_7_b_a_new_certificate_alone_concerns_the_agency_only(
    clerk: User, special_permanent: str, commit: Callable[..., DraftRecorded], changes: dict[str, str]
) -> None:
    """交付・再交付・有効期間更新 (入管特例法12–14条): the record's 住基法 items are unchanged."""
    commit_items(clerk, commit, special_permanent, ChangeReason.EX_OFFICIO_AMENDMENT, **changes)
    kind, link_class, items = last_notice()
    assert (kind, link_class) == NOTICE_IMMIGRATION
    assert {name: items[name] for name in changes} == changes


def test_4_5_7_b_an_error_correction_of_a_certificate_item_is_a_notice_of_the_record(
    clerk: User, special_permanent: str, commit: Callable[..., DraftRecorded]
) -> None:
    """A 誤記修正 fixes the municipality's own entry: no 届出 of the holder to relay."""
    commit(
        record_ex_officio_correction(
            actor=clerk,
            purpose=PURPOSE,
            correction=correction(
                [special_permanent],
                {"birth_date": "1990-05-02"},
                action=ExOfficioAction.ERROR,
                record=book(grounds="誤記"),
            ),
        )
    )
    assert last_notice()[:2] == NOTICE_REGISTRY


def test_4_5_7_b_a_minor_correction_of_the_address_is_a_notice_of_the_record(
    clerk: User, special_permanent: str, commit: Callable[..., DraftRecorded]
) -> None:
    """住居表示の実施: the certificate's 住居地 changes, but the holder notified nothing."""
    commit(
        record_ex_officio_correction(
            actor=clerk,
            purpose=PURPOSE,
            correction=correction(
                [special_permanent],
                {"address": "長崎県佐世保市八幡町1番2号"},
                action=ExOfficioAction.MINOR,
                minor_case=MinorCase.RESIDENCE_INDICATION,
                record=book(grounds="住居表示の実施"),
            ),
        )
    )
    kind, link_class, items = last_notice()
    assert (kind, link_class) == NOTICE_REGISTRY
    assert items["address"].startswith("長崎県佐世保市八幡町1番2号")


def test_4_5_7_b_an_alias_is_a_notice_of_the_record(
    clerk: User, special_permanent: str, commit: Callable[..., DraftRecorded]
) -> None:
    """The certificate does not state the 通称 (入管特例法8条2項): its 記載 is a 住基法 notice."""
    commit(
        record_alias_application(
            actor=clerk,
            purpose=PURPOSE,
            application=alias(special_permanent, AliasOperation.RECORD, "金　民俊", "キン　ミンシュン"),
        )
    )
    kind, link_class, items = last_notice()
    assert (kind, link_class, items["alias"]) == (*NOTICE_REGISTRY, "金　民俊")


def test_4_5_7_b_a_mid_to_long_term_residents_amendment_stays_a_notice_of_the_record(
    clerk: User, code_pool: list[str], commit: Callable[..., DraftRecorded]
) -> None:
    """A 中長期在留者 reports changes to the agency itself (入管法19条の10): nothing to relay."""
    atena = commit(record_move_in(actor=clerk, purpose=PURPOSE, move_in=foreign_move_in())).atena_numbers[0]
    commit(
        record_ex_officio_correction(
            actor=clerk,
            purpose=PURPOSE,
            correction=correction([atena], {"surname": "TRAN"}, record=book(grounds="変更")),
        )
    )
    assert last_notice()[:2] == NOTICE_REGISTRY
    commit_items(
        clerk, commit, atena, ChangeReason.EX_OFFICIO_AMENDMENT, residence_card_number="ZZ12345678YY"
    )
    assert last_notice()[:2] == NOTICE_REGISTRY


def test_4_5_7_b_classification_compares_blank_and_absent_items_alike() -> None:
    before = {"name": "KIM MINJUN", "special_permanent_resident_number": "SP1", "alias": ""}
    same = {"name": "KIM MINJUN", "special_permanent_resident_number": "SP1"}
    renewed = {**same, "special_permanent_resident_number": "SP2"}
    amend = ChangeReason.EX_OFFICIO_AMENDMENT
    assert link_type(amend, "特別永住者", before, same).link_class == LinkClass.REGISTRY  # nothing changed
    assert link_type(amend, "特別永住者", before, renewed).link_class == LinkClass.IMMIGRATION
    # The agency's own notice, or a cancellation, relays no 変更届出 of the holder.
    renamed = {**renewed, "name": "LEE MINJUN"}
    assert link_type(ChangeReason.IMMIGRATION_NOTICE, "特別永住者", before, renamed).kind == LinkKind.NOTICE
    assert (
        link_type(ChangeReason.CANCELLATION_AMENDMENT, "特別永住者", before, renamed).kind == LinkKind.NOTICE
    )
    assert link_type(amend, "特別永住者", before, renamed) == LinkType(LinkKind.TRANSMISSION, LinkClass.BOTH)

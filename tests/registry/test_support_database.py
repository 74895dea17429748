"""The support database: 加害者 as separate fields, protected services, 転送情報 and 加害者照合
(standard 1.1.16-a); a protected person's address never reaches the 加害者 side."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse

from jumin.accounts import clock
from jumin.accounts.authorization import AccessRefused
from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.domain.checkdigits import M11Remainder1Policy, atena_check_digit
from jumin.domain.errors import DomainError
from jumin.registry.models import SupportForwarding, SupportPerpetrator
from jumin.registry.selectors_restrictions import support_measure_detail
from jumin.registry.services import DraftRecorded
from jumin.registry.services_restrictions import SupportApplication, create_support_measure
from jumin.registry.support_database import (
    ForwardingEntry,
    PerpetratorEntry,
    perpetrator_check,
    record_forwarding,
    record_perpetrator,
)
from tests.registry.conftest import ADDRESS, PURPOSE, logged_in

pytestmark = pytest.mark.django_db

RECORD = "resident:support_measure:perpetrator_record"
CHECK = "resident:support_measure:perpetrator_check"
ALL_SERVICES = ["inspection", "copies", "previous_copies", "fuhyo_copies", "previous_fuhyo_copies"]
PERPETRATOR_ADDRESS = "福岡県北九州市小倉北区城内9番9号"


@pytest.fixture
def officer(make_clerk: Callable[..., User]) -> User:
    return make_clerk(
        "officer",
        Permission.SUPPORT_MEASURE_MANAGE,
        Permission.SUPPORT_MEASURE_VIEW,
        Permission.RESIDENT_VIEW,
    )


def the_perpetrator(atena_number: str = "", **overrides: str) -> PerpetratorEntry:
    values = {
        "surname": "加藤",
        "given_name": "一郎",
        "surname_kana": "かとう",
        "given_name_kana": "イチロウ",
        "atena_number": atena_number,
        "birth_date": "昭和50年頃",
        "sex": "male",
        "address": PERPETRATOR_ADDRESS,
        "note": "黒い乗用車",
    }
    values.update(overrides)
    return PerpetratorEntry(**values)


def open_measure(
    officer: User, applicant: str, *co: str, perpetrators: tuple[PerpetratorEntry, ...] = ()
) -> int:
    return create_support_measure(
        actor=officer,
        purpose=PURPOSE,
        application=SupportApplication(
            applicant=applicant,
            co_applicants=co,
            covered_services=ALL_SERVICES,
            received_on=clock.today(),
            period_start=clock.today(),
            perpetrators=perpetrators,
        ),
    )


def test_the_perpetrator_is_kept_as_separate_fields_with_an_append_only_history(
    family: DraftRecorded, other_household: DraftRecorded, officer: User
) -> None:
    head, wife, child = family.atena_numbers
    measure_id = open_measure(officer, wife, child, perpetrators=(the_perpetrator(head),))
    # A second 加害者 with nothing but a 不詳 birth date and a note; then a correction of the first.
    second = record_perpetrator(
        actor=officer,
        purpose=PURPOSE,
        measure_id=measure_id,
        entry=PerpetratorEntry(surname="不明", birth_date="年月日不詳", note="元交際相手"),
    )
    assert second == 2
    assert (
        record_perpetrator(
            actor=officer,
            purpose=PURPOSE,
            measure_id=measure_id,
            perpetrator_no=1,
            entry=the_perpetrator(head, birth_date="昭和50年4月1日", address="福岡県福岡市中央区天神1番1号"),
        )
        == 1
    )
    assert SupportPerpetrator.objects.filter(measure_id=measure_id).count() == 3  # nothing overwritten
    detail = support_measure_detail(actor=officer, purpose=PURPOSE, measure_id=measure_id)
    rows = [(p.perpetrator_no, p.birth_date, p.address, p.in_force) for p in detail.perpetrators]
    assert rows == [
        (1, "昭和50年頃", PERPETRATOR_ADDRESS, False),
        (1, "昭和50年4月1日", "福岡県福岡市中央区天神1番1号", True),
        (2, "年月日不詳", "", True),
    ]
    first = detail.perpetrators[1]
    assert (first.name, first.kana, first.atena_number, first.sex_label) == (
        "加藤 一郎",
        "カトウ\u3000イチロウ",
        head,
        "男",
    )
    assert detail.covered_services == (
        "住民基本台帳の閲覧",
        "住民票の写し等の交付",
        "前住所地の住民票（除票）の写し等の交付",
        "戸籍の附票の写しの交付",
        "前本籍地の戸籍の附票（除附票）の写しの交付",
    )
    # Audited with the number only: no name, birth date or address in the log.
    reasons = list(AuditEntry.objects.filter(action=RECORD).order_by("seq").values_list("reason", flat=True))
    assert reasons == ["add perpetrator_no=2", "correct perpetrator_no=1"]
    logged = json.dumps(list(AuditEntry.objects.values()), default=str, ensure_ascii=False)
    for secret in ("加藤", "天神", "城内", "黒い乗用車", "昭和50"):
        assert secret not in logged


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"atena_number": "000000000019"}, "perpetrator.atena_number", "atena."),
        ({"atena_number": "LOCAL_UNKNOWN"}, "perpetrator.atena_number", "registry.perpetrator_not_local"),
        ({"birth_date": "きのう"}, "perpetrator.birth_date", "wareki."),
        ({"surname_kana": "KATO"}, "perpetrator.surname_kana", ""),
        ({"sex": "other"}, "perpetrator.sex", "registry.perpetrator_sex"),
        ({"address": "長" * 201}, "perpetrator.address", "registry.text_too_long"),
    ],
)
def test_bad_perpetrator_input_is_refused_naming_the_field_and_nothing_changes(
    family: DraftRecorded, officer: User, overrides: dict[str, str], field: str, code: str
) -> None:
    _head, wife, _child = family.atena_numbers
    measure_id = open_measure(officer, wife)
    if overrides.get("atena_number") == "LOCAL_UNKNOWN":
        # A valid number (right check digit) that no resident here holds.
        overrides = {"atena_number": _unused_valid_atena(family.atena_numbers)}
    with pytest.raises(DomainError) as caught:
        record_perpetrator(
            actor=officer, purpose=PURPOSE, measure_id=measure_id, entry=the_perpetrator(**overrides)
        )
    assert caught.value.field == field
    assert caught.value.code.startswith(code)
    assert not SupportPerpetrator.objects.exists()
    assert not AuditEntry.objects.filter(action=RECORD).exists()


def _unused_valid_atena(taken: tuple[str, ...]) -> str:
    length = int(str(settings.JUMIN_POLICIES["atena_serial_length"]))
    policy = M11Remainder1Policy(str(settings.JUMIN_POLICIES["m11_remainder1"]))
    for serial in range(900000, 900100):
        digit = atena_check_digit(str(serial).zfill(length), policy=policy)
        if digit is not None and str(serial).zfill(length) + digit not in taken:
            return str(serial).zfill(length) + digit
    raise AssertionError("no free number")


def test_an_empty_perpetrator_or_a_protected_person_as_perpetrator_is_refused(
    family: DraftRecorded, officer: User
) -> None:
    _head, wife, child = family.atena_numbers
    measure_id = open_measure(officer, wife, child)
    with pytest.raises(DomainError) as empty:
        record_perpetrator(
            actor=officer, purpose=PURPOSE, measure_id=measure_id, entry=PerpetratorEntry(sex="female")
        )
    assert empty.value.code == "registry.perpetrator_empty"
    with pytest.raises(DomainError) as protected:
        record_perpetrator(
            actor=officer, purpose=PURPOSE, measure_id=measure_id, entry=the_perpetrator(child)
        )
    assert protected.value.code == "registry.perpetrator_is_protected"
    with pytest.raises(DomainError) as missing:
        record_perpetrator(
            actor=officer, purpose=PURPOSE, measure_id=measure_id, perpetrator_no=5, entry=the_perpetrator()
        )
    assert missing.value.code == "registry.no_such_perpetrator"
    assert not SupportPerpetrator.objects.exists()


def test_recording_needs_the_manage_permission(
    family: DraftRecorded, officer: User, make_clerk: Callable[..., User]
) -> None:
    _head, wife, _child = family.atena_numbers
    measure_id = open_measure(officer, wife)
    viewer = make_clerk("viewer", Permission.SUPPORT_MEASURE_VIEW)
    with pytest.raises(AccessRefused):
        record_perpetrator(actor=viewer, purpose=PURPOSE, measure_id=measure_id, entry=the_perpetrator())
    with pytest.raises(AccessRefused):
        record_forwarding(
            actor=viewer, purpose=PURPOSE, measure_id=measure_id, entry=ForwardingEntry(direction="incoming")
        )
    assert not SupportPerpetrator.objects.exists()


def test_a_request_by_a_local_perpetrator_is_recognised_with_measure_numbers_only(
    family: DraftRecorded, other_household: DraftRecorded, officer: User, make_clerk: Callable[..., User]
) -> None:
    head, wife, child = family.atena_numbers
    stranger = other_household.atena_numbers[0]
    measure_id = open_measure(officer, wife, child, perpetrators=(the_perpetrator(head),))
    found = perpetrator_check(
        actor=officer, purpose=PURPOSE, requester_atena_number=head, atena_numbers=[child]
    )
    assert (found.concerns_protected_person, found.measure_ids) == (True, (measure_id,))
    # Only the two fields: never who is protected, nor where they live.
    assert set(dataclasses.asdict(found)) == {"concerns_protected_person", "measure_ids"}
    anyone = perpetrator_check(actor=officer, purpose=PURPOSE, requester_atena_number=head)
    assert anyone.measure_ids == (measure_id,)
    other = perpetrator_check(
        actor=officer, purpose=PURPOSE, requester_atena_number=head, atena_numbers=[stranger]
    )
    assert not other.concerns_protected_person
    assert not perpetrator_check(actor=officer, purpose=PURPOSE, requester_atena_number=stranger).measure_ids
    # A corrected 宛名番号 no longer matches: only the version in force counts.
    record_perpetrator(
        actor=officer,
        purpose=PURPOSE,
        measure_id=measure_id,
        perpetrator_no=1,
        entry=the_perpetrator(stranger),
    )
    assert not perpetrator_check(actor=officer, purpose=PURPOSE, requester_atena_number=head).measure_ids
    assert perpetrator_check(actor=officer, purpose=PURPOSE, requester_atena_number=stranger).measure_ids
    entries = AuditEntry.objects.filter(action=CHECK).order_by("seq")
    assert [e.reason for e in entries][:3] == ["asked=1 matched=1", "asked=0 matched=1", "asked=1 matched=0"]
    assert all(e.support_measure for e in entries)
    # Without the view permission the clerk learns nothing (C-38).
    counter = make_clerk("counter", Permission.RESIDENT_VIEW, Permission.SUPPORT_MEASURE_MANAGE)
    with pytest.raises(AccessRefused):
        perpetrator_check(actor=counter, purpose=PURPOSE, requester_atena_number=head)


def test_the_api_and_screens_never_show_the_protected_persons_address_to_the_perpetrator_check(
    family: DraftRecorded, officer: User
) -> None:
    head, wife, _child = family.atena_numbers
    measure_id = open_measure(officer, wife, perpetrators=(the_perpetrator(head),))
    client = logged_in(officer)
    answer = client.post(
        "/api/registry/restrictions/support-measures/perpetrator-check",
        {"purpose": PURPOSE, "requester_atena_number": head, "atena_numbers": [wife]},
        content_type="application/json",
    )
    assert answer.status_code == 200
    assert answer.json() == {"concerns_protected_person": True, "measure_ids": [measure_id]}
    screen = client.post(
        reverse("registry:support_perpetrator_check"),
        {"purpose": PURPOSE, "requester_atena_number": head, "atena_numbers": wife},
    )
    html = screen.content.decode()
    assert f"支援措置（番号 {measure_id}）の加害者として記録されています" in html
    for leaked in (ADDRESS.address, ADDRESS.katagaki, wife):
        assert leaked not in answer.content.decode()
        assert leaked not in _main_before_form(html)  # the result, not the echoed input


def test_the_perpetrator_and_forwarding_screens_and_api_record_and_the_detail_shows_them(
    family: DraftRecorded, officer: User
) -> None:
    head, wife, _child = family.atena_numbers
    measure_id = open_measure(officer, wife)
    client = logged_in(officer)
    added = client.post(
        f"/api/registry/restrictions/support-measures/{measure_id}/perpetrators",
        {"purpose": PURPOSE, "surname": "加藤", "atena_number": head, "birth_date": "S50.4.1", "sex": "male"},
        content_type="application/json",
    )
    assert added.json() == {"perpetrator_no": 1}
    refused = client.post(
        f"/api/registry/restrictions/support-measures/{measure_id}/forwardings",
        {"purpose": PURPOSE, "direction": "incoming", "municipality_code": "131017"},
        content_type="application/json",
    )
    assert refused.status_code == 400
    assert refused.json()["field"] == "municipality_code"
    screen = client.post(
        reverse("registry:support_forwarding", args=[measure_id]),
        {
            "purpose": PURPOSE,
            "direction": "incoming",
            "municipality_code": "131016",
            "municipality_name": "千代田区",
            "moved_on": (clock.today() - timedelta(days=30)).isoformat(),
        },
    )
    assert "転送情報" in screen.content.decode()
    client.post(
        reverse("registry:support_perpetrator", args=[measure_id]),
        {
            "purpose": PURPOSE,
            "perpetrator_no": "1",
            "surname": "加藤",
            "given_name": "次郎",
            "sex": "unknown",
        },
    )
    html = client.post(
        reverse("registry:support_detail", args=[measure_id]), {"purpose": PURPOSE, "show": "1"}
    ).content.decode()
    assert "加藤 次郎" in html
    assert "（修正前）" in html
    assert "転出元から" in html
    assert "131016 千代田区" in html
    row = SupportForwarding.objects.get()
    assert (row.direction, row.measure_id, row.municipality_code) == ("incoming", measure_id, "131016")


def _main_before_form(html: str) -> str:
    """The page's own content before its form: the header's logout form comes first, so start at <main>."""
    return html.split("<main", 1)[1].split("<form", 1)[0]

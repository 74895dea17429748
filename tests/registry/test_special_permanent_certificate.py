"""特別永住者証明書の交付・再交付・有効期間更新 as a draft 職権修正 (standard 4.5.7-b;
docs/workflows/special-permanent-certificate.md): draft → another clerk's 本登録 → the record's number and
expiry, the outbox event and the 市町村通知 of class 入管法. Persons and numbers are synthetic.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from jumin.accounts.authorization import MASK, AccessRefused
from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.domain.errors import DomainError
from jumin.domain.resident import ChangeReason, ForeignResidentItems
from jumin.domain.special_permanent_certificate import CertificateProcedure
from jumin.registry.inquiry import resident_timeline
from jumin.registry.models import Change, ExOfficioRecord
from jumin.registry.models_immigration import MunicipalityNotice
from jumin.registry.models_review import RegistryEvent
from jumin.registry.selectors_review import confirmation
from jumin.registry.services import DraftRecorded, commit_change, record_move_in
from jumin.registry.workflows.acknowledgement import UnacknowledgedAlertsError
from jumin.registry.workflows.special_permanent_certificate import (
    CertificateHandover,
    record_certificate_handover,
)
from tests.helpers.permission_matrix import assert_permission_triple
from tests.registry.conftest import PURPOSE, current, logged_in
from tests.registry.test_naturalisation import foreign_move_in, foreign_person

pytestmark = pytest.mark.django_db

OLD_NUMBER = "AB12345678CD"
NEW_NUMBER = "XY87654321ZW"
ACTION = "resident:special_permanent_certificate:record"


def today() -> date:
    return timezone.localdate()


def certificate(number: str = OLD_NUMBER) -> ForeignResidentItems:
    return ForeignResidentItems(
        nationality_code="410",
        category="特別永住者",
        alphabet_name="KIM MINJUN",
        special_permanent_resident_number=number,
    )


def holder(clerk: User, commit: Callable[..., DraftRecorded], **foreign: Any) -> str:
    person = foreign_person(
        surname="KIM", given_name="MINJUN", surname_kana="キム", foreign=certificate(**foreign)
    )
    return commit(
        record_move_in(actor=clerk, purpose=PURPOSE, move_in=foreign_move_in(person))
    ).atena_numbers[0]


@pytest.fixture
def special_permanent(clerk: User, code_pool: list[str], commit: Callable[..., DraftRecorded]) -> str:
    """A committed 特別永住者 holding certificate ``OLD_NUMBER``."""
    return holder(clerk, commit)


def handover(atena: str, **overrides: Any) -> CertificateHandover:
    values: dict[str, Any] = {
        "atena_number": atena,
        "procedure": CertificateProcedure.REISSUE,
        "certificate_number": NEW_NUMBER,
        "issued_on": today() - timedelta(days=1),
        "expiry": today() + timedelta(days=7 * 365),
    }
    values.update(overrides)
    return CertificateHandover(**values)


def enter(clerk: User, atena: str, **overrides: Any) -> DraftRecorded:
    return record_certificate_handover(actor=clerk, purpose=PURPOSE, handover=handover(atena, **overrides))


def test_4_5_7_b_a_reissue_is_reviewed_committed_and_notified_to_the_agency(
    clerk: User, special_permanent: str, commit: Callable[..., DraftRecorded]
) -> None:
    audited = AuditEntry.objects.count()
    draft = enter(clerk, special_permanent)
    assert list(AuditEntry.objects.filter(seq__gt=audited).values_list("action", "outcome")) == [
        (ACTION, "done")
    ]
    assert (current(special_permanent).foreign or {})["special_permanent_resident_number"] == OLD_NUMBER
    assert not MunicipalityNotice.objects.filter(change_id=draft.change_id).exists()  # never for a draft

    commit(draft)

    foreign = current(special_permanent).foreign or {}
    expiry = (today() + timedelta(days=7 * 365)).isoformat()
    assert (foreign["special_permanent_resident_number"], foreign["certificate_expiry_date"]) == (
        NEW_NUMBER,
        expiry,
    )
    assert (foreign["category"], foreign["alphabet_name"]) == (
        "特別永住者",
        "KIM MINJUN",
    )  # nothing else changes
    change = Change.objects.get(pk=draft.change_id)
    assert (change.reason, change.notification_kind, change.notification_date) == (
        ChangeReason.EX_OFFICIO_AMENDMENT,
        "職権",
        today() - timedelta(days=1),
    )
    book = ExOfficioRecord.objects.get(change=change)
    assert (book.grounds, book.notice_required) == ("特別永住者証明書の再交付", False)
    assert RegistryEvent.objects.filter(change=change, atena_number=special_permanent).count() == 1
    notice = MunicipalityNotice.objects.get(change=change)
    assert (notice.kind, notice.link_class) == ("市町村通知", "入管法")
    assert (notice.items["special_permanent_resident_number"], notice.items["certificate_expiry_date"]) == (
        NEW_NUMBER,
        expiry,
    )


@pytest.fixture
def reviewer(make_clerk: Callable[..., User]) -> User:
    """The checker of certificate procedures holds the 在留資格 grant (the items are masked without it)."""
    return make_clerk(
        "checker",
        Permission.RESIDENT_COMMIT,
        Permission.RESIDENT_VIEW,
        Permission.RESIDENT_RECORD,
        Permission.FIELD_RESIDENCE_STATUS_VIEW,
    )


def test_4_5_7_b_a_reviewer_without_the_residence_status_grant_sees_the_certificate_masked(
    clerk: User, make_clerk: Callable[..., User], special_permanent: str
) -> None:
    checker = make_clerk("plain-checker", Permission.RESIDENT_COMMIT, Permission.RESIDENT_VIEW)
    draft = enter(clerk, special_permanent)
    [preview] = confirmation(actor=checker, purpose=PURPOSE, change_ids=[draft.change_id])
    changes = [(c.label, c.before, c.after) for c in preview.people[0].changes]
    assert changes == [("特別永住者証明書の有効期間の満了日", "", MASK)]
    assert not any(NEW_NUMBER in value or OLD_NUMBER in value for change in changes for value in change)


def test_4_5_7_b_the_reviewer_sees_the_old_and_new_certificate_before_committing(
    clerk: User, reviewer: User, special_permanent: str
) -> None:
    draft = enter(clerk, special_permanent)
    [preview] = confirmation(actor=reviewer, purpose=PURPOSE, change_ids=[draft.change_id])
    [person] = preview.people
    expiry = (today() + timedelta(days=7 * 365)).isoformat()
    assert [(c.label, c.before, c.after) for c in person.changes] == [
        ("特別永住者証明書番号", OLD_NUMBER, NEW_NUMBER),
        ("特別永住者証明書の有効期間の満了日", "", expiry),
    ]


def test_4_5_7_b_the_clerk_who_entered_it_cannot_commit_it(clerk: User, special_permanent: str) -> None:
    draft = enter(clerk, special_permanent)
    with pytest.raises(AccessRefused):
        commit_change(actor=clerk, purpose=PURPOSE, change_id=draft.change_id)
    assert (current(special_permanent).foreign or {})["special_permanent_resident_number"] == OLD_NUMBER


def test_4_5_7_b_a_first_issue_through_the_api_then_a_renewal(
    clerk: User, special_permanent: str, commit: Callable[..., DraftRecorded]
) -> None:
    commit(
        enter(
            clerk,
            special_permanent,
            procedure=CertificateProcedure.ISSUE,
            acknowledged_alerts=["registry.certificate_already_recorded"],
        )
    )
    renewed = today() + timedelta(days=8 * 365)
    commit(
        enter(
            clerk,
            special_permanent,
            procedure=CertificateProcedure.RENEWAL,
            certificate_number="CD11112222EF",
            issued_on=today(),
            expiry=renewed,
            acknowledged_alerts=["registry.certificate_early_renewal"],
        )
    )
    foreign = current(special_permanent).foreign or {}
    assert (foreign["special_permanent_resident_number"], foreign["certificate_expiry_date"]) == (
        "CD11112222EF",
        renewed.isoformat(),
    )
    assert MunicipalityNotice.objects.filter(link_class="入管法").count() == 2


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"certificate_number": "XY8765432ZW"}, "certificate_number", "registry.certificate_number_format"),
        ({"certificate_number": OLD_NUMBER}, "certificate_number", "registry.certificate_number_unchanged"),
        ({"expiry": date(2020, 1, 1)}, "expiry", "registry.certificate_expiry_before_issue"),
        ({"issued_on": None}, "issued_on", "registry.item_required"),
        ({"nationality_code": "KOR"}, "nationality_code", "registry.nationality_code_format"),
        (
            {"procedure": CertificateProcedure.RETURN, "returned_on": None},
            "returned_on",
            "registry.item_required",
        ),
        (
            {
                "procedure": CertificateProcedure.RETURN,
                "returned_on": date(2026, 1, 1),
                "nationality_code": "156",
            },
            "nationality_code",
            "registry.certificate_return_with_changes",
        ),
        ({"atena_number": "0"}, "atena_number", "registry.resident_not_found"),
    ],
)
def test_4_5_7_b_bad_input_is_refused_and_writes_nothing(
    clerk: User, special_permanent: str, overrides: dict[str, Any], field: str, code: str
) -> None:
    changes = Change.objects.count()
    with pytest.raises(DomainError) as caught:
        enter(clerk, special_permanent, **overrides)
    assert (caught.value.field, caught.value.code) == (field, code)
    assert Change.objects.count() == changes


def test_4_5_7_b_a_reissue_with_a_new_nationality_and_roman_name_is_transmitted_as_the_change_notification(
    clerk: User, reviewer: User, special_permanent: str, commit: Callable[..., DraftRecorded]
) -> None:
    draft = enter(clerk, special_permanent, nationality_code="156", alphabet_name="park minjun")
    [preview] = confirmation(actor=reviewer, purpose=PURPOSE, change_ids=[draft.change_id])
    assert {(c.label, c.before, c.after) for c in preview.people[0].changes} >= {
        ("国籍・地域", "410", "156"),
        ("氏名（ローマ字）", "KIM MINJUN", "PARK MINJUN"),
        ("特別永住者証明書番号", OLD_NUMBER, NEW_NUMBER),
    }
    commit(draft)
    foreign = current(special_permanent).foreign or {}
    assert (
        foreign["nationality_code"],
        foreign["alphabet_name"],
        foreign["special_permanent_resident_number"],
    ) == (
        "156",
        "PARK MINJUN",
        NEW_NUMBER,
    )
    notice = MunicipalityNotice.objects.get(change_id=draft.change_id)
    assert (notice.kind, notice.link_class) == ("市町村伝達", "住基法・入管法")
    assert (notice.items["nationality_code"], notice.items["name"]) == ("156", "PARK MINJUN")


def return_of(atena: str, **overrides: Any) -> dict[str, Any]:
    return {
        "procedure": CertificateProcedure.RETURN,
        "certificate_number": OLD_NUMBER,
        "issued_on": None,
        "expiry": None,
        "returned_on": today(),
        "acknowledged_alerts": ["registry.certificate_current_returned"],
        **overrides,
    }


def test_4_5_7_b_a_return_is_an_event_that_changes_no_30_45_item_and_is_notified_to_the_agency(
    clerk: User, reviewer: User, special_permanent: str, commit: Callable[..., DraftRecorded]
) -> None:
    before = dict(current(special_permanent).foreign or {})
    with pytest.raises(UnacknowledgedAlertsError) as caught:
        enter(clerk, special_permanent, **return_of(special_permanent, acknowledged_alerts=[]))
    assert [alert.code for alert in caught.value.alerts] == ["registry.certificate_current_returned"]
    audited = AuditEntry.objects.count()
    draft = enter(clerk, special_permanent, **return_of(special_permanent))
    assert list(AuditEntry.objects.filter(seq__gt=audited).values_list("action", "outcome")) == [
        (ACTION, "done")
    ]
    [preview] = confirmation(actor=reviewer, purpose=PURPOSE, change_ids=[draft.change_id])
    assert [(c.label, c.after) for c in preview.people[0].changes] == [
        ("特別永住者証明書の返納", f"{today().isoformat()} {OLD_NUMBER}")
    ]
    with pytest.raises(AccessRefused):
        commit_change(actor=clerk, purpose=PURPOSE, change_id=draft.change_id)
    commit(draft)
    after = current(special_permanent)
    foreign = dict(after.foreign or {})
    assert (foreign.pop("returned_certificate_number"), foreign.pop("certificate_returned_on")) == (
        OLD_NUMBER,
        today().isoformat(),
    )
    assert foreign == before  # every 30条の45 item as it was
    assert after.history_no == 2  # appended: the row before stays
    book = ExOfficioRecord.objects.get(change_id=draft.change_id)
    assert (book.grounds, book.found_on) == ("特別永住者証明書の返納", today())
    assert "特別永住者でなくなったため" in book.findings
    notice = MunicipalityNotice.objects.get(change_id=draft.change_id)
    assert (notice.kind, notice.link_class) == ("市町村通知", "入管法")
    assert (notice.items["returned_certificate_number"], notice.items["certificate_returned_on"]) == (
        OLD_NUMBER,
        today().isoformat(),
    )
    with pytest.raises(DomainError) as again:
        enter(clerk, special_permanent, **return_of(special_permanent))
    assert again.value.code == "registry.certificate_return_recorded"


def test_4_5_7_b_the_return_is_listed_in_the_timeline_masked_without_the_grant(
    clerk: User,
    special_permanent: str,
    commit: Callable[..., DraftRecorded],
    make_clerk: Callable[..., User],
) -> None:
    commit(enter(clerk, special_permanent, **return_of(special_permanent)))
    entitled = make_clerk("timeline-with", Permission.RESIDENT_VIEW, Permission.FIELD_RESIDENCE_STATUS_VIEW)
    entry = resident_timeline(actor=entitled, purpose=PURPOSE, atena_number=special_permanent).entries[-1]
    assert entry.change_reason == "職権修正"
    assert [(c.label, c.after) for c in entry.changes] == [
        ("特別永住者証明書の返納", f"{today().isoformat()} {OLD_NUMBER}")
    ]
    plain = make_clerk("timeline-no", Permission.RESIDENT_VIEW)
    hidden = resident_timeline(actor=plain, purpose=PURPOSE, atena_number=special_permanent).entries
    assert OLD_NUMBER not in repr(hidden)
    assert len(hidden) == 2  # the 返納 is listed; its items are masked


def test_4_5_7_b_the_return_through_the_screen(clerk: User, special_permanent: str) -> None:
    client = logged_in(clerk)
    url = reverse("registry:special_permanent_certificate")
    data = form_data(
        special_permanent,
        procedure="返納",
        certificate_number=OLD_NUMBER,
        issued_on="",
        expiry="",
        returned_on=today().isoformat(),
        return_reason="特別永住者でなくなったため",
    )
    alerted = client.post(url, data).content.decode()
    assert "現在の証明書の返納です" in alerted
    done = client.post(url, {**data, "acknowledged_alerts": "registry.certificate_current_returned"})
    assert "仮登録しました" in done.content.decode()


def test_4_5_7_b_only_a_special_permanent_resident_holds_the_certificate(
    clerk: User, code_pool: list[str], commit: Callable[..., DraftRecorded]
) -> None:
    mid_long = commit(record_move_in(actor=clerk, purpose=PURPOSE, move_in=foreign_move_in())).atena_numbers[
        0
    ]
    with pytest.raises(DomainError) as caught:
        enter(clerk, mid_long)
    assert caught.value.code == "registry.not_special_permanent_resident"
    assert "在留カード" in caught.value.remedy


def test_4_5_7_b_a_number_another_record_holds_is_an_alert(
    clerk: User, special_permanent: str, commit: Callable[..., DraftRecorded]
) -> None:
    holder(clerk, commit, number=NEW_NUMBER)
    with pytest.raises(UnacknowledgedAlertsError) as caught:
        enter(clerk, special_permanent)
    assert [alert.code for alert in caught.value.alerts] == ["registry.certificate_number_held"]
    draft = enter(clerk, special_permanent, acknowledged_alerts=["registry.certificate_number_held"])
    assert Change.objects.filter(pk=draft.change_id).exists()


def test_4_5_7_b_a_person_in_an_open_draft_is_refused(clerk: User, special_permanent: str) -> None:
    enter(clerk, special_permanent)
    with pytest.raises(DomainError) as caught:
        enter(clerk, special_permanent, certificate_number="CD11112222EF")
    assert caught.value.code in {"registry.resident_drafted", "registry.resident_locked"}


# --- API and screen ---------------------------------------------------------------------------------


def form_data(atena: str, **overrides: str) -> dict[str, str]:
    return {
        "purpose": PURPOSE,
        "atena_number": atena,
        "procedure": "再交付",
        "return_reason": "特別永住者でなくなったため",
        "certificate_number": NEW_NUMBER,
        "issued_on": (today() - timedelta(days=1)).isoformat(),
        "expiry": (today() + timedelta(days=7 * 365)).isoformat(),
        **overrides,
    }


def test_4_5_7_b_api_refuses_with_the_field_and_drafts(clerk: User, special_permanent: str) -> None:
    client = logged_in(clerk)
    url = "/api/registry/foreign/special-permanent-certificate"
    bad = client.post(
        url, json.dumps(form_data(special_permanent, expiry="2020-01-01")), content_type="application/json"
    )
    assert bad.status_code == 400
    assert (bad.json()["field"], bad.json()["code"]) == ("expiry", "registry.certificate_expiry_before_issue")
    done = client.post(url, json.dumps(form_data(special_permanent)), content_type="application/json")
    assert done.status_code == 201


def test_4_5_7_b_api_permission_triple(make_staff: Callable[..., object], special_permanent: str) -> None:
    assert_permission_triple(
        make_staff,
        "post",
        "/api/registry/foreign/special-permanent-certificate",
        Permission.RESIDENT_RECORD,
        data=json.dumps(form_data(special_permanent)),
        content_type="application/json",
        success_status=(201,),
    )


def test_4_5_7_b_screen_shows_errors_and_alerts_then_drafts(clerk: User, special_permanent: str) -> None:
    client = logged_in(clerk)
    url = reverse("registry:special_permanent_certificate")
    page = client.get(url)
    assert page.status_code == 200
    assert "特別永住者証明書" in page.content.decode()
    bad = client.post(url, form_data(special_permanent, certificate_number="12345")).content.decode()
    assert "特別永住者証明書番号の形式が正しくありません" in bad
    alerted = client.post(url, form_data(special_permanent, procedure="交付")).content.decode()
    assert "再交付または有効期間更新ではないか確認してください" in alerted
    assert not Change.objects.filter(state="draft", made_by=clerk).exists()
    done = client.post(
        url,
        form_data(
            special_permanent, acknowledged_alerts="registry.certificate_already_recorded", procedure="交付"
        ),
    )
    assert "仮登録しました" in done.content.decode()


def test_4_5_7_b_screen_permission_triple(make_staff: Callable[..., object], special_permanent: str) -> None:
    assert_permission_triple(
        make_staff,
        "post",
        reverse("registry:special_permanent_certificate"),
        Permission.RESIDENT_RECORD,
        data=form_data(special_permanent),
    )

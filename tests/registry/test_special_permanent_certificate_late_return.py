"""A 特別永住者証明書 returned after the record stopped being a 特別永住者 (standard 4.5.7-b;
docs/workflows/special-permanent-certificate.md "返納"): after a 帰化 or a change of status, the return is
kept on the record whose history shows the certificate, as the same reviewed 職権修正 event, and gives
the 市町村通知 of class 入管法; refused when the record never showed a certificate. Persons and numbers
are synthetic.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.urls import reverse

from jumin.accounts.models import User
from jumin.domain.errors import DomainError
from jumin.domain.resident import ChangeReason, ResidentKind
from jumin.registry.models import ExOfficioRecord
from jumin.registry.models_immigration import MunicipalityNotice
from jumin.registry.services import DraftRecorded, record_move_in
from jumin.registry.workflows.acknowledgement import UnacknowledgedAlertsError
from jumin.registry.workflows.naturalisation import record_naturalisation
from tests.registry.conftest import PURPOSE, current, logged_in
from tests.registry.test_immigration_link_certificate import commit_items
from tests.registry.test_naturalisation import foreign_move_in, naturalisation
from tests.registry.test_special_permanent_certificate import (
    NEW_NUMBER,
    OLD_NUMBER,
    enter,
    form_data,
    return_of,
    special_permanent,
    today,
)

pytestmark = pytest.mark.django_db
__all__ = ["special_permanent"]  # the fixture, imported for use here


def late_return(**overrides: object) -> dict[str, object]:
    return return_of("", acknowledged_alerts=[], **overrides)


@pytest.fixture
def naturalised(special_permanent: str, clerk: User, commit: Callable[..., DraftRecorded]) -> str:
    """The 特別永住者 of ``special_permanent`` after a committed 帰化: a Japanese record now."""
    commit(
        record_naturalisation(
            actor=clerk,
            purpose=PURPOSE,
            naturalisation=naturalisation(special_permanent, acknowledged_alerts=("registry.alias_ends",)),
        )
    )
    assert current(special_permanent).kind == ResidentKind.JAPANESE
    return special_permanent


def test_4_5_7_b_a_return_after_naturalisation_is_an_event_notified_to_the_agency(
    clerk: User, naturalised: str, commit: Callable[..., DraftRecorded]
) -> None:
    before = current(naturalised)
    notices = MunicipalityNotice.objects.count()
    draft = enter(clerk, naturalised, **late_return())
    commit(draft)
    after = current(naturalised)
    assert after.history_no == before.history_no + 1  # appended on the record, the rows before stay
    assert (after.kind, after.surname, after.honseki) == (before.kind, before.surname, before.honseki)
    assert (after.foreign or {}) == {
        "returned_certificate_number": OLD_NUMBER,
        "certificate_returned_on": today().isoformat(),
    }
    book = ExOfficioRecord.objects.get(change_id=draft.change_id)
    assert book.grounds == "特別永住者証明書の返納"
    assert "特別永住者でなくなった後の返納" in book.findings
    assert MunicipalityNotice.objects.count() == notices + 1
    notice = MunicipalityNotice.objects.get(change_id=draft.change_id)
    assert (notice.kind, notice.link_class) == ("市町村通知", "入管法")
    assert (notice.items["returned_certificate_number"], notice.items["certificate_returned_on"]) == (
        OLD_NUMBER,
        today().isoformat(),
    )
    assert notice.items["change_reason"] == ChangeReason.EX_OFFICIO_AMENDMENT.value
    # The same return twice is refused; a later change of the person gives no further notice.
    with pytest.raises(DomainError) as again:
        enter(clerk, naturalised, **late_return())
    assert again.value.code == "registry.certificate_return_recorded"


def test_4_5_7_b_a_later_change_of_the_naturalised_person_gives_no_notice(
    clerk: User, naturalised: str, commit: Callable[..., DraftRecorded]
) -> None:
    commit(enter(clerk, naturalised, **late_return()))
    notices = MunicipalityNotice.objects.count()
    commit_items(clerk, commit, naturalised, ChangeReason.EX_OFFICIO_AMENDMENT)
    assert MunicipalityNotice.objects.count() == notices


def test_4_5_7_b_a_number_the_history_never_showed_is_an_alert(clerk: User, naturalised: str) -> None:
    with pytest.raises(UnacknowledgedAlertsError) as caught:
        enter(clerk, naturalised, **late_return(certificate_number=NEW_NUMBER))
    assert [alert.code for alert in caught.value.alerts] == ["registry.certificate_number_not_in_history"]
    # The alert names no number (alerts carry no personal data; the number is masked without its grant, C-10).
    assert OLD_NUMBER not in caught.value.alerts[0].message
    assert NEW_NUMBER not in caught.value.alerts[0].message


def test_4_5_7_b_a_return_after_a_change_of_status_is_notified_to_the_agency(
    clerk: User, special_permanent: str, commit: Callable[..., DraftRecorded]
) -> None:
    commit_items(
        clerk,
        commit,
        special_permanent,
        ChangeReason.EX_OFFICIO_AMENDMENT,
        category="中長期在留者",
        special_permanent_resident_number="",
        residence_card_number="AB12345679CD",
    )
    draft = enter(clerk, special_permanent, **late_return())
    commit(draft)
    foreign = current(special_permanent).foreign or {}
    assert (foreign["category"], foreign["returned_certificate_number"]) == ("中長期在留者", OLD_NUMBER)
    notice = MunicipalityNotice.objects.get(change_id=draft.change_id)
    assert (notice.kind, notice.link_class) == ("市町村通知", "入管法")


def test_4_5_7_b_a_return_for_a_record_that_never_showed_a_certificate_is_refused(
    clerk: User, code_pool: list[str], commit: Callable[..., DraftRecorded]
) -> None:
    mid_long = commit(record_move_in(actor=clerk, purpose=PURPOSE, move_in=foreign_move_in())).atena_numbers[
        0
    ]
    with pytest.raises(DomainError) as caught:
        enter(clerk, mid_long, **late_return())
    assert (caught.value.field, caught.value.code) == ("atena_number", "registry.certificate_never_recorded")
    assert "特別永住者証明書の記載がありません" in caught.value.reason
    # Other procedures stay refused for a person who is not a 特別永住者.
    with pytest.raises(DomainError) as issue:
        enter(clerk, mid_long)
    assert issue.value.code == "registry.not_special_permanent_resident"


def test_4_5_7_b_the_late_return_through_the_screen(clerk: User, naturalised: str) -> None:
    data = form_data(
        naturalised,
        procedure="返納",
        certificate_number=OLD_NUMBER,
        issued_on="",
        expiry="",
        returned_on=today().isoformat(),
    )
    page = logged_in(clerk).post(reverse("registry:special_permanent_certificate"), data)
    assert "仮登録しました" in page.content.decode()

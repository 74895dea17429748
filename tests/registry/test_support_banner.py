"""The 「支援」 banner and pop-up wherever a protected person appears (issue 4 item 6; C-37, 2.2.4-a).

One screen per family: person inquiries (履歴, 文字), a draft entered, a draft reviewed alone and on the
確認画面, the 異動の取消し history, the certificates' 本人通知 list. The same screens for an
unprotected household show no banner.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from jumin.accounts.models import User
from jumin.domain import recorded_dates
from jumin.registry.selectors_restrictions import notices_for
from jumin.registry.services import DraftRecorded
from jumin.registry.templatetags.registry_support import support_banner
from jumin.registry.workflows.move_out import MoveOut, record_move_out
from tests.registry.conftest import PURPOSE, logged_in
from tests.registry.test_restrictions_screens import new_measure, officer

pytestmark = pytest.mark.django_db
__all__ = ["officer"]  # the fixture, imported for use here

BANNER = 'id="support-banner"'
POPUP = '<dialog id="support-popup"'


@pytest.fixture
def protected(family: DraftRecorded, officer: User) -> str:
    """The wife of ``family``, under a 支援措置."""
    wife = family.atena_numbers[1]
    new_measure(officer, wife)
    return wife


def shows_banner(html: str) -> bool:
    return BANNER in html and POPUP in html


def post(client: Client, name: str, data: dict[str, object]) -> str:
    response = client.post(reverse(name), data)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("screen", ["registry:timeline", "registry:glyphs"])
def test_person_inquiry_screens(screen: str, protected: str, family: DraftRecorded, reviewer: User) -> None:
    client = logged_in(reviewer)
    assert shows_banner(post(client, screen, {"purpose": PURPOSE, "atena_number": protected}))
    assert not shows_banner(
        post(client, screen, {"purpose": PURPOSE, "atena_number": family.atena_numbers[0]})
    )


def test_the_screen_after_entering_a_draft(protected: str, family: DraftRecorded, clerk: User) -> None:
    client = logged_in(clerk)
    yesterday = recorded_dates.display(timezone.localdate() - timedelta(days=1))
    data = {
        "purpose": PURPOSE,
        "death_date": yesterday,
        "notification_date": timezone.localdate().isoformat(),
        "informant": "同居の親族",
    }
    assert shows_banner(post(client, "registry:death", {**data, "atena_number": protected}))
    child = family.atena_numbers[2]
    assert not shows_banner(post(client, "registry:death", {**data, "atena_number": child}))


def test_review_screens_of_a_draft_naming_a_protected_person(
    protected: str, family: DraftRecorded, clerk: User, reviewer: User
) -> None:
    today = timezone.localdate()
    move_out = MoveOut(
        atena_numbers=[family.atena_numbers[0], protected],
        planned_date=today,
        destination="東京都日野市",
        notification_date=today,
    )
    draft = record_move_out(actor=clerk, purpose=PURPOSE, move_out=move_out)
    client = logged_in(reviewer)
    confirm = post(client, "registry:review_confirm", {"purpose": PURPOSE, "change_ids": [draft.change_id]})
    assert shows_banner(confirm)
    # The pop-up's own form is outside the commit form (no nested forms).
    assert confirm.index(POPUP) < confirm.index('action="/registry/review/commit/"')
    response = client.post(
        reverse("registry:draft", args=[draft.change_id]), {"purpose": PURPOSE, "show": "1"}
    )
    assert shows_banner(response.content.decode())


def test_review_screens_of_an_unprotected_draft(
    protected: str, family: DraftRecorded, clerk: User, reviewer: User
) -> None:
    today = timezone.localdate()
    move_out = MoveOut(
        atena_numbers=[family.atena_numbers[2]],
        planned_date=today,
        destination="東京都日野市",
        notification_date=today,
    )
    draft = record_move_out(actor=clerk, purpose=PURPOSE, move_out=move_out)
    client = logged_in(reviewer)
    confirm = post(client, "registry:review_confirm", {"purpose": PURPOSE, "change_ids": [draft.change_id]})
    assert not shows_banner(confirm)


def test_the_cancellation_history_screen(protected: str, family: DraftRecorded, clerk: User) -> None:
    client = logged_in(clerk)
    shown = post(
        client, "registry:cancellation", {"purpose": PURPOSE, "atena_number": protected, "show": "1"}
    )
    assert shows_banner(shown)
    assert shown.index(POPUP) < shown.index('<form method="post" novalidate class="stacked">')
    head = family.atena_numbers[0]
    other = post(client, "registry:cancellation", {"purpose": PURPOSE, "atena_number": head, "show": "1"})
    assert not shows_banner(other)


def test_the_tag_flags_a_household_when_anyone_in_it_is_protected(
    protected: str, family: DraftRecorded
) -> None:
    everybody = list(family.atena_numbers)
    assert notices_for(everybody).support_measure
    assert not notices_for([n for n in everybody if n != protected]).support_measure
    # Nested shapes as screens hold them: numbers, objects with atena_number(s), lists of both.
    assert support_banner([protected])["notices"].support_measure
    assert support_banner(family)["notices"].support_measure
    assert not support_banner(family.atena_numbers[0], "")["notices"].support_measure


def test_the_certificate_notice_list_flags_a_protected_row(protected: str, family: DraftRecorded) -> None:
    def page(atena: str) -> str:
        row = {"notice_id": 1, "atena_number": atena, "kind": "住民票の写し", "copies": 1, "printed": False}
        return render_to_string("certificates/notices.html", {"rows": [row], "form": None})

    assert shows_banner(page(protected))
    assert not shows_banner(page(family.atena_numbers[0]))

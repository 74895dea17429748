"""The 証明書交付センター's 日計表・月計表 (system.md M7 4; standard 7.2.5-a) and their reconciliation.

The centre tallies its request log per municipality and certificate kind, keeps the tally and sends it
to 佐世保市 as a signed KIOSK_TALLY; 佐世保市 keeps it and compares it with its own 交付履歴. A copy issued
after the tally was made shows as a difference (counts, fee, and its 発行番号 on our side only).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse

from jumin.accounts import clock
from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.certificates import kiosk_tallies
from jumin.certificates.models import Certifier, IssuedCopy, KioskTallyReceived
from jumin.domain.errors import DomainError
from jumin.jukinet.common.kiosk_tally import DAILY, MONTHLY, validate_tally
from jumin.jukinet.national.models import KioskTally
from jumin.jukinet.national.services.kiosk_tallies import month_of, send_due_tallies, send_tallies
from jumin.messaging.envelope import NodeRef
from jumin.messaging.testing import TestFederation
from jumin.registry.services import DraftRecorded
from tests.certificates.test_kiosk import at_kiosk, kiosk_payload, moved_in_yesterday
from tests.certificates.test_wide_area import SASEBO, card_of, code_pool, family
from tests.registry.conftest import PURPOSE

pytestmark = pytest.mark.django_db
__all__ = ["card_of", "code_pool", "family", "moved_in_yesterday"]  # fixtures, imported for use here

CENTRE = NodeRef("national", "00")


@pytest.fixture
def auditor(make_clerk: Callable[..., User]) -> User:
    return make_clerk("kiosk-auditor", Permission.CERTIFICATE_HISTORY_VIEW)


def a_day_at_the_kiosk(
    federation: TestFederation, family: DraftRecorded, card_of: Callable[..., Any]
) -> None:
    """Two copies issued (a household copy of 2 and a stated-items certificate), one refused (forged)."""
    head, wife, _child = family.atena_numbers
    head_card = card_of(head)
    assert at_kiosk(federation, kiosk_payload(head_card, scope="household", copies=2)).issued
    assert at_kiosk(federation, kiosk_payload(card_of(wife), kind="stated_items")).issued
    forged = {**kiosk_payload(head_card), "signature": kiosk_payload(card_of(wife))["signature"]}
    assert at_kiosk(federation, forged).refusal_code == "certificates.kiosk_forged"


def test_the_centre_tallies_a_day_per_kind_and_the_municipality_finds_it_matches_its_history(
    federation: TestFederation,
    family: DraftRecorded,
    card_of: Callable[[str], dict[str, Any]],
    certifier: Certifier,
    auditor: User,
) -> None:
    a_day_at_the_kiosk(federation, family, card_of)
    today = clock.today()
    with federation.acting_as(CENTRE):
        [tally] = send_tallies(DAILY, today, today)
        assert send_tallies(DAILY, today, today) == []  # a period is tallied once
    assert tally.municipality_code == SASEBO.code
    assert tally.rows == [
        {
            "kind": "copy",
            "requests": 2,
            "issued": 1,
            "copies": 2,
            "fee": 600,
            "refused": {"certificates.kiosk_forged": 1},
        },
        {"kind": "stated_items", "requests": 1, "issued": 1, "copies": 1, "fee": 300, "refused": {}},
    ]
    assert sorted(tally.copy_numbers) == sorted(IssuedCopy.objects.values_list("copy_number", flat=True))
    assert AuditEntry.objects.get(action="national:kiosk:tally").result_count == 3

    federation.pump()
    received = KioskTallyReceived.objects.get()
    assert (received.period, received.first_day, received.rows) == (DAILY, today, tally.rows)
    assert AuditEntry.objects.filter(action="certificate:kiosk_tally:receive").count() == 1
    with federation.acting_as(SASEBO):
        [listed] = kiosk_tallies.received_tallies(actor=auditor, purpose=PURPOSE)
        result = kiosk_tallies.reconcile(actor=auditor, purpose=PURPOSE, tally_id=listed.tally_id)
    assert result.matches
    assert [(line.kind, line.ours_issued, line.ours_copies, line.ours_fee) for line in result.lines] == [
        ("copy", 1, 2, 600),
        ("stated_items", 1, 1, 300),
    ]


def test_a_copy_issued_after_the_tally_is_listed_as_a_difference_on_screen_and_in_the_csv(
    federation: TestFederation,
    family: DraftRecorded,
    card_of: Callable[[str], dict[str, Any]],
    certifier: Certifier,
    make_staff: Callable[..., Any],
) -> None:
    a_day_at_the_kiosk(federation, family, card_of)
    today = clock.today()
    with federation.acting_as(CENTRE):
        send_tallies(DAILY, today, today)
    federation.pump()
    late = at_kiosk(federation, kiosk_payload(card_of(family.atena_numbers[2])))
    assert late.issued

    client = make_staff([Permission.CERTIFICATE_HISTORY_VIEW])
    url = reverse("certificates:kiosk_tallies")
    tally_id = KioskTallyReceived.objects.get().pk
    with federation.acting_as(SASEBO):
        page = client.post(url, {"purpose": PURPOSE, "tally_id": tally_id}).content.decode()
        assert "差異あり" in page
        assert late.copy_numbers[0] in page
        exported = client.post(url, {"purpose": PURPOSE, "tally_id": tally_id, "format": "csv"})
    assert exported["Content-Type"].startswith("text/csv")
    lines = exported.content.decode("utf-8").lstrip("\ufeff").splitlines()
    assert lines[2].startswith("住民票の写し,2,1,1,2,2,3,600,900,certificates.kiosk_forged=1,差異あり")
    assert lines[-1] == f"交付履歴のみの発行番号,{late.copy_numbers[0]}"
    # The page: the reconciliation and the list; the CSV: the reconciliation.
    assert AuditEntry.objects.filter(action="certificate:kiosk_tally:view").count() == 3


def test_the_daily_job_tallies_yesterday_and_a_month_is_tallied_whole(
    federation: TestFederation,
    family: DraftRecorded,
    card_of: Callable[[str], dict[str, Any]],
    certifier: Certifier,
) -> None:
    a_day_at_the_kiosk(federation, family, card_of)
    today = clock.today()
    with federation.acting_as(CENTRE):
        assert send_due_tallies(today) == 0  # nothing logged yesterday
        assert send_due_tallies(today + timedelta(days=1)) == 1
        [monthly] = send_tallies(MONTHLY, *month_of(today))
    assert (monthly.first_day.day, (monthly.last_day + timedelta(days=1)).day) == (1, 1)
    assert sum(row["requests"] for row in monthly.rows) == 3
    assert KioskTally.objects.count() == 2
    federation.pump()
    assert KioskTallyReceived.objects.count() == 2


def test_a_tally_whose_counts_do_not_add_up_is_refused_by_its_schema() -> None:
    row = {"kind": "copy", "requests": 2, "issued": 1, "copies": 1, "fee": 300, "refused": {}}
    tally = {
        "period": DAILY,
        "first_day": "2026-11-24",
        "last_day": "2026-11-24",
        "rows": [row],
        "copy_numbers": [],
    }
    with pytest.raises(DomainError) as bad:
        validate_tally(tally)
    assert (bad.value.code, bad.value.field) == ("jukinet.kiosk_tally", "requests")
    validate_tally({**tally, "rows": [{**row, "refused": {"certificates.kiosk_forged": 1}}]})

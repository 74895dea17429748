"""The 交付履歴's retention purge (standard 1.3.8-a/b; controls.md C-45, §13 "Certificate issuance log")."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone

from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.certificates.models import (
    CopyVoid,
    HistoryDeletionRefused,
    Issuance,
    IssuanceSubject,
    IssuedCopy,
    SelfNotice,
)
from jumin.certificates.retention import purge_expired_history
from jumin.certificates.self_notification import print_self_notice, register_self_notification
from jumin.certificates.services import issue_certificate, void_copy
from jumin.cli import main as jumin_main
from jumin.domain.certificates import IdentityCheck
from jumin.registry.services import DraftRecorded
from tests.certificates.conftest import CERT_PURPOSE, options_for, own_request
from tests.certificates.test_history_notification import THIRD_PARTY

pytestmark = pytest.mark.django_db

TODAY = date(2031, 6, 1)
EXPIRED = date(2026, 5, 31)  # five years (the default) before TODAY, minus a day
LAST_KEPT = date(2026, 6, 1)


@pytest.fixture
def notifier(make_clerk: Callable[..., User]) -> User:
    return make_clerk("notifier", Permission.CERTIFICATE_SELF_NOTIFICATION_MANAGE)


def issue(actor: User, atena: str, issued_on: date, **request: Any) -> int:
    issued = issue_certificate(
        actor=actor,
        purpose=CERT_PURPOSE,
        request=own_request(**request),
        options=options_for([atena], whole_household=False, copies=2),
    )
    # The clock cannot be turned back for an issuance: move the recorded day instead.
    Issuance.objects.filter(pk=issued.issuance_id).update(issue_date=issued_on)
    IssuedCopy.objects.filter(issuance_id=issued.issuance_id).update(issue_date=issued_on)
    return issued.issuance_id


def test_only_history_past_the_period_goes_with_its_copies_voids_subjects_and_printed_notices(
    family: DraftRecorded, issuer: User, notifier: User, certifier: Any
) -> None:
    head, wife, _child = family.atena_numbers
    register_self_notification(
        actor=notifier, purpose=CERT_PURPOSE, atena_number=wife, identity_check=IdentityCheck.MYNUMBER_CARD
    )
    old = issue(issuer, head, EXPIRED)
    void_copy(
        actor=issuer,
        purpose=CERT_PURPOSE,
        copy_number=IssuedCopy.objects.filter(issuance_id=old).first().copy_number,  # type: ignore[union-attr]
        reason="印字不良",
    )
    old_notified = issue(issuer, wife, EXPIRED, **THIRD_PARTY)
    print_self_notice(
        actor=notifier, purpose=CERT_PURPOSE, notice_id=SelfNotice.objects.get(issuance_id=old_notified).pk
    )
    old_unnotified = issue(issuer, wife, EXPIRED, **THIRD_PARTY)
    kept = issue(issuer, head, LAST_KEPT)

    report = purge_expired_history(today=TODAY)

    assert (report.cutoff, report.issuances, report.copies, report.kept_for_notices) == (LAST_KEPT, 2, 4, 1)
    assert set(Issuance.objects.values_list("pk", flat=True)) == {old_unnotified, kept}
    assert set(IssuedCopy.objects.values_list("issuance_id", flat=True)) == {old_unnotified, kept}
    assert set(IssuanceSubject.objects.values_list("issuance_id", flat=True)) == {old_unnotified, kept}
    assert list(SelfNotice.objects.values_list("issuance_id", flat=True)) == [old_unnotified]
    assert not CopyVoid.objects.exists()
    entry = AuditEntry.objects.get(action="certificate:history:purge")
    assert entry.result_count == 2
    assert entry.reason == (
        f"issued before {LAST_KEPT}: 2 issuances, 4 copies deleted; 1 kept for unprinted 本人通知"
    )
    assert head not in entry.reason
    assert wife not in entry.reason

    # Idempotent; the unprinted notice's issuance goes once the notice is printed.
    assert purge_expired_history(today=TODAY).issuances == 0
    print_self_notice(
        actor=notifier, purpose=CERT_PURPOSE, notice_id=SelfNotice.objects.get(issuance_id=old_unnotified).pk
    )
    assert purge_expired_history(today=TODAY).issuances == 1
    assert list(Issuance.objects.values_list("pk", flat=True)) == [kept]


def test_a_dry_run_counts_and_deletes_nothing(family: DraftRecorded, issuer: User, certifier: Any) -> None:
    issue(issuer, family.atena_numbers[0], EXPIRED)
    report = purge_expired_history(today=TODAY, dry_run=True)
    assert (report.issuances, report.copies, report.dry_run) == (1, 2, True)
    assert Issuance.objects.count() == 1
    assert not AuditEntry.objects.filter(action="certificate:history:purge").exists()


def test_within_the_period_deletion_is_still_refused(
    family: DraftRecorded, issuer: User, certifier: Any
) -> None:
    issue(issuer, family.atena_numbers[0], timezone.localdate() - timedelta(days=1))
    with pytest.raises(HistoryDeletionRefused):
        Issuance.objects.all().delete()
    assert purge_expired_history().issuances == 0
    assert Issuance.objects.count() == 1


def test_the_municipality_sets_the_period_and_a_bad_value_deletes_nothing(
    family: DraftRecorded, issuer: User, certifier: Any, settings: Any
) -> None:
    issue(issuer, family.atena_numbers[0], date(2029, 1, 1))
    settings.JUMIN_ISSUANCE_RETENTION_YEARS = 0
    with pytest.raises(ValueError, match="1以上の整数"):
        purge_expired_history(today=TODAY)
    settings.JUMIN_ISSUANCE_RETENTION_YEARS = 3  # cut-off 2028-06-01: still kept
    assert purge_expired_history(today=TODAY).issuances == 0
    settings.JUMIN_ISSUANCE_RETENTION_YEARS = 2  # cut-off 2029-06-01: goes
    assert purge_expired_history(today=TODAY).issuances == 1


def test_the_command_prints_the_counts_and_refuses_a_bad_date(
    family: DraftRecorded, issuer: User, certifier: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    issue(issuer, family.atena_numbers[0], EXPIRED)
    assert jumin_main(["certificates", "purge-history", "--date", TODAY.isoformat(), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "交付日が2026-06-01より前の交付履歴: 1件（2通）削除対象。" in out
    assert Issuance.objects.count() == 1
    assert jumin_main(["certificates", "purge-history", "--date", "2031/06/01"]) == 1
    assert "YYYY-MM-DD" in capsys.readouterr().err
    assert jumin_main(["certificates", "purge-history", "--date", TODAY.isoformat()]) == 0
    assert not Issuance.objects.exists()

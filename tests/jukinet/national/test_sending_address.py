"""N4 (個人番号カード管理システム): 送付先情報 received, checked against the 機構保存本人確認情報, printed."""

from __future__ import annotations

import csv
import hashlib
import io
import stat
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from jumin.accounts import approvals
from jumin.accounts.authorization import AccessRefused
from jumin.accounts.errors import RuleRefused
from jumin.accounts.models import MediaOutputRecord, RegisteredMedium, User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.jukinet.cs import sending_addresses as cs_sending
from jumin.jukinet.national.models import SendingAddressReceipt
from jumin.jukinet.national.services.sending_addresses import (
    CEILING_DAYS,
    PRINT_COLUMNS,
    print_file,
    purge_sending_addresses,
)
from jumin.messaging import housekeeping
from jumin.messaging.testing import TestFederation
from tests.helpers.accounts import grant_permissions, make_user
from tests.jukinet.cs.test_sending_address import IVS_NAME, SASEBO, person, register_ivs, sending_for

pytestmark = pytest.mark.django_db

MEDIUM = "USB-N4-01"


@pytest.fixture
def printer(db: None) -> User:
    """A 個人番号カード管理事務 operator who may apply for a media output."""
    user = make_user()
    grant_permissions(user, [Permission.NATIONAL_CARD_MANAGE, Permission.OUTPUT_BULK_REQUEST])
    return user


def approved(requester: User, *, max_count: int = 10, medium_id: str = MEDIUM) -> int:
    """A media-output approval taken through both stages (所属長, 情報主管課長) for ``medium_id``."""
    it_head = make_user()
    grant_permissions(it_head, [Permission.MEDIA_REGISTER, Permission.OUTPUT_MEDIA_IT_APPROVE])
    section_head = make_user()
    grant_permissions(section_head, [Permission.OUTPUT_MEDIA_SECTION_APPROVE])
    if not RegisteredMedium.objects.filter(medium_id=medium_id).exists():
        approvals.register_medium(
            actor=it_head, medium_id=medium_id, label="印刷ファイル用USB", encrypted=True, purpose="媒体管理"
        )
    approval = approvals.request_approval(
        actor=requester,
        kind="media_output",
        purpose="N4 print",
        scope="個人番号通知書印刷",
        max_count=max_count,
        medium_id=medium_id,
    )
    for approver in (section_head, it_head):
        approvals.decide_approval(actor=approver, approval_id=approval.pk, approve=True, purpose="承認")
    return approval.pk


def accepted(federation: TestFederation, **overrides: str) -> str:
    """One 送付先情報 accepted by N4 today; returns its 送付先管理番号."""
    request = person(federation, **overrides)
    record = sending_for(request)
    with federation.acting_as(SASEBO):
        cs_sending.store_sending_address(record, actor=None)
    federation.pump()
    assert SendingAddressReceipt.objects.get(control_number=record.control_number).result == "accepted"
    return record.control_number


def test_the_accepted_record_is_kept_with_its_number_encrypted(federation: TestFederation) -> None:
    control = accepted(federation)
    receipt = SendingAddressReceipt.objects.get(control_number=control)
    assert "individual_number" not in receipt.items
    assert receipt.get_individual_number()
    entry = AuditEntry.objects.get(action="national:sending_address:receive")
    assert (entry.outcome, entry.individual_number_used) == ("done", True)


def test_the_print_file_has_one_line_per_accepted_record_with_substitute_characters(
    federation: TestFederation, printer: User
) -> None:
    register_ivs(federation)
    control = accepted(federation, name=IVS_NAME)
    with federation.acting_as(SASEBO):
        refused = cs_sending.store_sending_address(sending_for(person(federation), sex="female"), actor=None)
    federation.pump()
    approval = approved(printer)
    text, count = print_file(timezone.localdate(), actor=printer, approval_id=approval, medium_id=MEDIUM)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert count == 1
    assert tuple(rows[0]) == PRINT_COLUMNS
    assert [row["control_number"] for row in rows] == [control]
    assert rows[0]["name"] == "辻\u3000太郎"  # the IVS 外字 printed as its base character
    assert len(rows[0]["individual_number"]) == 12
    assert refused.control_number not in text  # a refused record is never printed
    entry = AuditEntry.objects.get(action="national:print_file:write")
    assert (entry.result_count, entry.individual_number_used, entry.actor_id) == (1, True, printer.pk)
    assert entry.after_digest == hashlib.sha256(text.encode("utf-8")).hexdigest()
    output = MediaOutputRecord.objects.get()  # C-27: one media-log entry with the hash, count and medium
    assert (output.approval_id, output.medium.medium_id, output.record_count, output.actor_id) == (
        approval,
        MEDIUM,
        1,
        printer.pk,
    )
    assert output.file_sha256 == entry.after_digest
    assert AuditEntry.objects.filter(action="media:output:record", actor_id=printer.pk).count() == 1
    assert SendingAddressReceipt.objects.get(control_number=control).printed_at is not None


def test_the_print_file_needs_the_permission_and_an_approval(
    federation: TestFederation, printer: User
) -> None:
    accepted(federation)
    day = timezone.localdate()
    outsider = make_user()
    grant_permissions(outsider, [Permission.OUTPUT_BULK_REQUEST])
    with pytest.raises(AccessRefused):  # C-19: not a 個人番号カード管理事務 operator
        print_file(day, actor=outsider, approval_id=approved(outsider), medium_id=MEDIUM)
    with pytest.raises(RuleRefused):  # C-26/C-28: no approved media output
        print_file(day, actor=printer, approval_id=999999, medium_id=MEDIUM)
    with pytest.raises(RuleRefused):  # C-28: another medium than the approved one
        print_file(day, actor=printer, approval_id=approved(printer), medium_id="USB-OTHER")
    accepted(federation)
    with pytest.raises(RuleRefused):  # C-26: two records, approved for one
        print_file(day, actor=printer, approval_id=approved(printer, max_count=1), medium_id=MEDIUM)
    assert not MediaOutputRecord.objects.exists()
    assert SendingAddressReceipt.objects.filter(printed_at__isnull=False).count() == 0
    refusals = AuditEntry.objects.filter(action="national:print_file:write", outcome="refused")
    assert sorted(refusals.values_list("outcome_reason", flat=True)) == [
        "approval_count_exceeded",
        "approval_unusable",
        "medium_invalid",
        "permission_missing",
    ]


def test_a_day_already_printed_is_never_printed_again(federation: TestFederation, printer: User) -> None:
    accepted(federation)
    day = timezone.localdate()
    print_file(day, actor=printer, approval_id=approved(printer), medium_id=MEDIUM)
    again = approved(printer)
    with pytest.raises(RuleRefused) as refused:  # C-30: no reprint, even with a fresh approval
        print_file(day, actor=printer, approval_id=again, medium_id=MEDIUM)
    assert refused.value.reason_code == "already_printed"
    assert MediaOutputRecord.objects.count() == 1
    second = accepted(federation)  # a record accepted later that day goes into the next file only
    text, count = print_file(day, actor=printer, approval_id=again, medium_id=MEDIUM)
    assert count == 1
    assert [row["control_number"] for row in csv.DictReader(io.StringIO(text))] == [second]


def test_the_command_writes_an_owner_only_file_and_refuses_to_overwrite(
    federation: TestFederation, tmp_path: Path, printer: User
) -> None:
    accepted(federation)
    out = tmp_path / "print.csv"
    day = timezone.localdate().isoformat()

    def run(*args: str) -> None:
        call_command("national_print_file", *args, stdout=io.StringIO())

    who = ("--operator", printer.username, "--medium", MEDIUM)
    run("--date", day, "--out", str(out), *who, "--approval", str(approved(printer)))
    assert len(out.read_text(encoding="utf-8").splitlines()) == 2
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    with pytest.raises(CommandError):
        run("--date", day, "--out", str(out), *who, "--approval", str(approved(printer)))
    with pytest.raises(CommandError):
        run("--date", "2025-13-01", "--out", str(tmp_path / "x.csv"), *who, "--approval", "1")
    with pytest.raises(CommandError):  # a reprint is refused (C-30)
        run("--date", day, "--out", str(tmp_path / "y.csv"), *who, "--approval", str(approved(printer)))
    assert not (tmp_path / "y.csv").exists()
    with pytest.raises(CommandError):  # no operator, approval or medium: refused by the parser
        run("--date", day, "--out", str(tmp_path / "z.csv"))
    assert not (tmp_path / "z.csv").exists()


def test_printed_and_refused_receipts_go_one_business_day_later_and_none_stays_a_year(
    federation: TestFederation,
) -> None:
    printed, waiting, old = accepted(federation), accepted(federation), accepted(federation)
    with federation.acting_as(SASEBO):
        cs_sending.store_sending_address(sending_for(person(federation), sex="female"), actor=None)
    federation.pump()
    receipts = SendingAddressReceipt.objects
    friday = date(2025, 6, 6)  # C-73: linked on Friday 2025-06-06, gone after Monday 2025-06-09's run
    friday_noon = timezone.make_aware(datetime(2025, 6, 6, 12, 0))
    receipts.update(received_on=friday, received_at=friday_noon)
    receipts.filter(control_number=printed).update(printed_at=friday_noon)
    receipts.filter(control_number=old).update(received_on=date(2025, 6, 9) - timedelta(days=CEILING_DAYS))
    assert purge_sending_addresses(today=date(2025, 6, 8)).printed == 0  # Sunday: not yet
    assert receipts.count() == 4
    result = purge_sending_addresses(today=date(2025, 6, 9))
    assert (result.printed, result.refused, result.ceiling) == (1, 1, 1)
    assert list(receipts.values_list("control_number", flat=True)) == [waiting]  # accepted, not printed yet
    entry = AuditEntry.objects.filter(action="national:sending_address:purge").latest("seq")
    assert entry.result_count == 3
    assert "printed 1 refused 1 past ceiling 1" in entry.reason
    assert CEILING_DAYS < 365


def test_the_purges_are_daily_national_jobs() -> None:
    jobs = {name: job.kind for name, job in housekeeping._jobs.items()}
    assert jobs["national.purge_sending_addresses"] == "national"
    assert jobs["national.purge_used_nonces"] == "national"

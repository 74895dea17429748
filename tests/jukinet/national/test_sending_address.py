"""N4 (個人番号カード管理システム): 送付先情報 received, checked against the 機構保存本人確認情報, printed."""

from __future__ import annotations

import csv
import io
import stat
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from jumin.audit.models import AuditEntry
from jumin.jukinet.cs import sending_addresses as cs_sending
from jumin.jukinet.national.models import SendingAddressReceipt
from jumin.jukinet.national.services.sending_addresses import PRINT_COLUMNS, print_file
from jumin.messaging.testing import TestFederation
from tests.jukinet.cs.test_sending_address import IVS_NAME, SASEBO, person, sending_for

pytestmark = pytest.mark.django_db


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
    federation: TestFederation,
) -> None:
    control = accepted(federation, name=IVS_NAME)
    with federation.acting_as(SASEBO):
        refused = cs_sending.store_sending_address(sending_for(person(federation), sex="female"), actor=None)
    federation.pump()
    text, count = print_file(timezone.localdate(), actor=None)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert count == 1
    assert tuple(rows[0]) == PRINT_COLUMNS
    assert [row["control_number"] for row in rows] == [control]
    assert rows[0]["name"] == "辻\u3000太郎"  # the IVS 外字 printed as its base character
    assert len(rows[0]["individual_number"]) == 12
    assert refused.control_number not in text  # a refused record is never printed
    entry = AuditEntry.objects.get(action="media:output:record")
    assert (entry.result_count, entry.individual_number_used) == (1, True)
    assert "sha256" in entry.reason
    assert SendingAddressReceipt.objects.get(control_number=control).printed_at is not None


def test_the_command_writes_an_owner_only_file_and_refuses_to_overwrite(
    federation: TestFederation, tmp_path: Path
) -> None:
    accepted(federation)
    out = tmp_path / "print.csv"
    day = timezone.localdate().isoformat()
    call_command("national_print_file", "--date", day, "--out", str(out), stdout=io.StringIO())
    assert len(out.read_text(encoding="utf-8").splitlines()) == 2
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    with pytest.raises(CommandError):
        call_command("national_print_file", "--date", day, "--out", str(out), stdout=io.StringIO())
    with pytest.raises(CommandError):
        call_command("national_print_file", "--date", "2025-13-01", "--out", str(tmp_path / "x.csv"))

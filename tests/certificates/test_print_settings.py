"""端末の印刷設定 (standard 10.7-a): printer, tray, PDF or paper per terminal; used and recorded at 交付."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse

from jumin.accounts.authorization import AccessRefused
from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.certificates.models import Issuance, TerminalPrintSetting
from jumin.certificates.print_settings import destination_for, set_print_setting
from jumin.domain.errors import DomainError
from jumin.registry.services import DraftRecorded
from tests.certificates.test_http import form_data
from tests.helpers.accounts import TERMINAL_ID, make_terminal

pytestmark = pytest.mark.django_db
PURPOSE = "masters"


@pytest.fixture
def admin(make_clerk: Callable[..., User]) -> User:
    make_terminal()
    return make_clerk("printer-admin", Permission.MASTERS_EDIT)


def test_a_terminal_without_a_setting_prints_to_pdf() -> None:
    destination = destination_for(TERMINAL_ID)
    assert (destination.printer, destination.tray, destination.on_paper) == ("", "", False)


def test_the_setting_is_stored_and_its_change_audited_old_to_new(admin: User) -> None:
    set_print_setting(
        actor=admin, purpose=PURPOSE, terminal_id=TERMINAL_ID, printer="P-1F", tray="1", output="pdf"
    )
    set_print_setting(
        actor=admin, purpose=PURPOSE, terminal_id=TERMINAL_ID, printer="P-2F", tray="手差し", output="paper"
    )
    destination = destination_for(TERMINAL_ID)
    assert (destination.printer, destination.tray, destination.on_paper) == ("P-2F", "手差し", True)
    entry = AuditEntry.objects.filter(subject_type="terminal_print_setting").order_by("-seq").first()
    assert entry is not None
    assert entry.subject_id == TERMINAL_ID
    assert entry.reason == "before=P-1F/1/pdf; after=P-2F/手差し/paper"


@pytest.mark.parametrize(
    ("terminal_id", "printer", "output", "code"),
    [
        ("T-UNKNOWN", "P-1F", "pdf", "certificates.print_setting_terminal"),
        (TERMINAL_ID, "P-1F", "fax", "certificates.print_setting_output"),
        (TERMINAL_ID, "", "paper", "certificates.print_setting_printer"),
    ],
    ids=["unknown-terminal", "unknown-output", "paper-without-printer"],
)
def test_bad_input_is_refused_naming_the_field_and_nothing_changes(
    admin: User, terminal_id: str, printer: str, output: str, code: str
) -> None:
    with pytest.raises(DomainError) as caught:
        set_print_setting(
            actor=admin, purpose=PURPOSE, terminal_id=terminal_id, printer=printer, tray="", output=output
        )
    assert caught.value.code == code
    assert not TerminalPrintSetting.objects.exists()


def test_only_a_masters_editor_may_change_it(make_clerk: Callable[..., User]) -> None:
    make_terminal()
    with pytest.raises(AccessRefused):
        set_print_setting(
            actor=make_clerk("issuer-only", Permission.CERTIFICATE_ISSUE),
            purpose=PURPOSE,
            terminal_id=TERMINAL_ID,
            printer="P-1F",
            tray="",
            output="pdf",
        )
    assert not TerminalPrintSetting.objects.exists()


def test_the_screen_records_the_setting(make_staff: Callable[..., Any]) -> None:
    staff = make_staff(permissions=[Permission.MASTERS_EDIT])
    data = {"purpose": PURPOSE, "terminal_id": TERMINAL_ID, "printer": "P-3F", "tray": "2", "output": "paper"}
    page = staff.post(reverse("certificates:print_setting"), data).content.decode()
    assert "印刷設定を登録しました" in page
    assert destination_for(TERMINAL_ID).printer == "P-3F"
    refused = staff.post(reverse("certificates:print_setting"), {**data, "printer": ""}).content.decode()
    assert "プリンタ名が必要です" in refused


def test_an_issue_uses_the_terminal_setting_and_records_it_in_the_history(
    family: DraftRecorded, make_staff: Callable[..., Any], admin: User, certifier: Any
) -> None:
    holder = make_staff(permissions=[Permission.CERTIFICATE_ISSUE])
    response = holder.post(reverse("certificates:issue"), data=form_data(family))
    assert response["Content-Disposition"].startswith("attachment;")  # no setting: saved as PDF
    first = Issuance.objects.order_by("-pk").first()
    assert first is not None
    assert (first.printer, first.tray, first.output) == ("", "", "pdf")

    set_print_setting(
        actor=admin, purpose=PURPOSE, terminal_id=TERMINAL_ID, printer="P-2F", tray="2", output="paper"
    )
    response = holder.post(reverse("certificates:issue"), data=form_data(family))
    assert response["Content-Disposition"].startswith("inline;")  # paper: opened to print
    issued = Issuance.objects.order_by("-pk").first()
    assert issued is not None
    assert (issued.printer, issued.tray, issued.output) == ("P-2F", "2", "paper")
    # A printer number typed on the form wins over the terminal's printer.
    holder.post(reverse("certificates:issue"), data=form_data(family, printer="P-9"))
    typed = Issuance.objects.order_by("-pk").first()
    assert typed is not None
    assert typed.printer == "P-9"

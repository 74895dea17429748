"""印刷設定 per terminal (standard 10.7-a): printer name, tray, and PDF or paper as the default output.

The issuing screen uses the current terminal's setting; each 交付 records the printer, tray and output
it used in the 交付履歴 (``Issuance``), so a copy can be traced to the device it was printed on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction

from jumin.accounts.authorization import authorize
from jumin.accounts.context import audit_context
from jumin.accounts.models import Terminal
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event
from jumin.certificates.models import TerminalPrintSetting
from jumin.domain.errors import refusal

SUBJECT_TYPE = "terminal_print_setting"


@dataclass(frozen=True)
class PrintDestination:
    """Where a terminal's certificates go: ``output`` is ``pdf`` (saved) or ``paper`` (printed)."""

    printer: str = ""
    tray: str = ""
    output: str = TerminalPrintSetting.Output.PDF.value

    @property
    def on_paper(self) -> bool:
        """True when the copy goes straight to the printer rather than being saved as a PDF."""
        return self.output == TerminalPrintSetting.Output.PAPER.value


def destination_for(terminal_id: str) -> PrintDestination:
    """The terminal's print setting, or PDF when it has none (or off a terminal)."""
    row = TerminalPrintSetting.objects.filter(terminal_id=terminal_id).first() if terminal_id else None
    if row is None:
        return PrintDestination()
    return PrintDestination(printer=row.printer_name, tray=row.tray, output=row.output)


def set_print_setting(
    *, actor: Any, purpose: str, terminal_id: str, printer: str, tray: str, output: str
) -> PrintDestination:
    """Record one terminal's printer, tray and default output (``masters:edit``; audited old → new).

    Refused, nothing changed, for an unknown terminal, an unknown output, or paper without a printer.
    """
    terminal_id = terminal_id.strip()
    authorize(
        actor=actor,
        permission=Permission.MASTERS_EDIT,
        action=AuditAction.MASTERS_RECORD_CREATE,
        purpose=purpose,
        subject_type=SUBJECT_TYPE,
        subject_id=terminal_id,
    )
    if not terminal_id or not Terminal.objects.filter(terminal_id=terminal_id).exists():
        raise refusal(
            "terminal_id",
            "該当する端末IDがありません。",
            "端末の管理画面に登録済みの端末IDを入力してください。",
            "certificates.print_setting_terminal",
        )
    if output not in TerminalPrintSetting.Output.values:
        raise refusal(
            "output",
            "出力先が正しくありません。",
            "PDF または 紙 を選んでください。",
            "certificates.print_setting_output",
        )
    destination = PrintDestination(printer=printer.strip(), tray=tray.strip(), output=output)
    if destination.on_paper and not destination.printer:
        raise refusal(
            "printer",
            "紙に印刷する設定にはプリンタ名が必要です。",
            "プリンタ名を入力するか、出力先を PDF にしてください。",
            "certificates.print_setting_printer",
        )
    with transaction.atomic():
        before = TerminalPrintSetting.objects.select_for_update().filter(terminal_id=terminal_id).first()
        old = f"{before.printer_name}/{before.tray}/{before.output}" if before else "-"
        TerminalPrintSetting.objects.update_or_create(
            terminal_id=terminal_id,
            defaults={
                "printer_name": destination.printer,
                "tray": destination.tray,
                "output": destination.output,
                "updated_by": actor,
            },
        )
        new = f"{destination.printer}/{destination.tray}/{destination.output}"
        record_event(
            actor=actor,
            action=AuditAction.MASTERS_RECORD_CREATE,
            subject_type=SUBJECT_TYPE,
            subject_id=terminal_id,
            purpose=purpose,
            reason=f"before={old}; after={new}"[:200],
            **audit_context(),
        )
    return destination

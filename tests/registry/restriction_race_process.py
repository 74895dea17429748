"""A registry node in its own process, for test_restriction_race.py: a 本登録 or a 証明書交付, and a
抑止 set at once.

``python restriction_race_process.py prepare``: migrate, create a clerk, a reviewer, an issuer and a
抑止 officer, fill the code pool, register the demo certifier.
``python restriction_race_process.py race <first> <scope> [<process>]``: commit a family of three, enter a
転出 of its child, then run ``process`` in one thread and an error 抑止 (``scope`` person or household)
of that process in another, each on its own connection. ``process``: ``commit`` (default; the child's
本登録, a 異動入力 抑止) or ``issuance`` (a 住民票の写し of the child alone, a 証明書発行 抑止).
``first`` (``setter`` or the process) is paused inside its transaction, after its check or write; the
other starts and, once it waits on a row lock (seen in pg_stat_activity) or has finished without
waiting, the first goes on. Prints the outcome as JSON (codes and counts only).

The database comes from JUMIN_DATABASE_URL (PostgreSQL), which the test sets. The pause hooks exist
only here.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jumin.settings.test")
django.setup()

from django.core.management import call_command  # noqa: E402 (Django must be set up first)
from django.db import connection  # noqa: E402
from django.db.models import Q  # noqa: E402
from django.utils import timezone  # noqa: E402

from jumin.accounts.models import User  # noqa: E402
from jumin.accounts.permissions import Permission  # noqa: E402
from jumin.audit.models import AuditEntry  # noqa: E402
from jumin.certificates import services as certificate_services  # noqa: E402
from jumin.certificates.certifiers import ensure_demo_certifier  # noqa: E402
from jumin.certificates.models import IssuanceSubject  # noqa: E402
from jumin.domain.certificates import (  # noqa: E402
    CertificateOptions,
    CertificateRequest,
    IdentityCheck,
    RequesterClass,
)
from jumin.domain.errors import DomainError  # noqa: E402
from jumin.registry import numbering, restriction_feed, services, services_restrictions  # noqa: E402
from jumin.registry.models import Change  # noqa: E402
from jumin.registry.models_restrictions import Suppression  # noqa: E402
from jumin.registry.restrictions import RestrictedProcess, RestrictionLevel  # noqa: E402
from jumin.registry.services_restrictions import (  # noqa: E402
    SuppressionReason,
    SuppressionRequest,
    SuppressionScope,
)
from jumin.registry.workflows.move_out import MoveOut, record_move_out  # noqa: E402
from tests.helpers.accounts import grant_permissions, make_user  # noqa: E402
from tests.registry.conftest import PURPOSE, family_move_in  # noqa: E402

TIMEOUT = 120  # a hang is a failure, not a measurement


def prepare() -> None:
    call_command("migrate", verbosity=0, interactive=False)
    staff = {
        "maker": [Permission.RESIDENT_RECORD, Permission.RESIDENT_VIEW],
        "checker": [Permission.RESIDENT_COMMIT, Permission.RESIDENT_VIEW, Permission.RESIDENT_RECORD],
        "officer": [Permission.SUPPRESSION_MANAGE, Permission.RESIDENT_VIEW],
        "issuer": [Permission.CERTIFICATE_ISSUE],
    }
    for username, permissions in staff.items():
        grant_permissions(make_user(username=username, display_name=username), permissions)
    numbering.load_code_pool([f"{n:011d}" for n in range(24727059600, 24727059650)])
    ensure_demo_certifier(prefecture_name="長崎県", municipality_name="佐世保市")
    sys.stdout.write("PREPARED\n")


def user(name: str) -> User:
    return User.objects.get(username=name)


def child_move_out(*, draft: bool = True) -> tuple[int, str, str]:
    """A committed family and a 転出 draft of its child: (change id, child's 宛名番号, 世帯番号).

    Without ``draft`` the family alone, and the change is the family's 転入: a person with a draft
    gets no certificate (certificates.pending_draft, standard 4.0.8-a), so the issuance race has none.
    """
    today = timezone.localdate()
    move_in = family_move_in(move_in_date=today - timedelta(days=3), notification_date=today)
    family = services.record_move_in(actor=user("maker"), purpose=PURPOSE, move_in=move_in)
    services.commit_change(actor=user("checker"), purpose=PURPOSE, change_id=family.change_id)
    child = family.atena_numbers[2]
    if not draft:
        return family.change_id, child, family.household_number
    move_out = MoveOut(
        atena_numbers=[child], planned_date=today, destination="東京都日野市", notification_date=today
    )
    draft = record_move_out(actor=user("maker"), purpose=PURPOSE, move_out=move_out)
    return draft.change_id, child, family.household_number


def in_thread(outcome: dict[str, str], key: str, work: Callable[[], str]) -> threading.Thread:
    """Run ``work`` on its own connection; ``outcome[key]`` is its result or the refusal's code."""

    def run() -> None:
        try:
            outcome[key] = work()
        except DomainError as error:
            outcome[key] = error.code
        except Exception as error:  # reported, so the test shows it instead of a hang
            outcome[key] = f"error: {type(error).__name__}"
        finally:
            connection.close()

    return threading.Thread(target=run, daemon=True)


def wait_for(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit("timed out")
        time.sleep(0.02)


def waiting_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        (count,) = cursor.fetchone()
    return bool(count)


#: Per process: (the function whose return ends its check, the 抑止's process, the audit action done).
PROCESSES: dict[str, tuple[tuple[Any, str], RestrictedProcess, str]] = {
    "commit": (
        (services_restrictions, "enforce_in_transaction"),
        RestrictedProcess.CHANGE_ENTRY,
        "resident:change:commit",
    ),
    "issuance": (
        (certificate_services, "check_restrictions"),
        RestrictedProcess.CERTIFICATE,
        "certificate:copy:issue",
    ),
}


def issue_child_copy(child: str) -> str:
    """A 住民票の写し of the child alone, asked by the child in person."""
    certificate_services.issue_certificate(
        actor=user("issuer"),
        purpose=PURPOSE,
        request=CertificateRequest(
            requester_class=RequesterClass.SELF, identity_check=IdentityCheck.MYNUMBER_CARD
        ),
        options=CertificateOptions(atena_numbers=(child,), whole_household=False),
    )
    return "issued"


def race(first: str, scope: str, process: str = "commit") -> None:
    change_id, child, household = child_move_out(draft=process == "commit")
    (module, checked), restricted, done_action = PROCESSES[process]
    inside, go = threading.Event(), threading.Event()

    def pause_after(original: Callable[..., Any]) -> Callable[..., Any]:
        def paused(*args: Any, **kwargs: Any) -> Any:
            result = original(*args, **kwargs)
            inside.set()
            go.wait(TIMEOUT)
            return result

        return paused

    if first == "setter":  # paused after writing the 抑止, inside its transaction
        restriction_feed.suppression_set = pause_after(restriction_feed.suppression_set)  # type: ignore[assignment]
    else:  # paused after the process's check, before its writes
        setattr(module, checked, pause_after(getattr(module, checked)))
    request = SuppressionRequest(
        scope=SuppressionScope(scope),
        target_number=child if scope == SuppressionScope.PERSON else household,
        process=restricted,
        level=RestrictionLevel.ERROR,
        start_date=timezone.localdate(),
        reason=SuppressionReason.OTHER,
        reason_text="調査中",
    )
    outcome: dict[str, str] = {}

    def set_it() -> str:
        services_restrictions.set_suppression(actor=user("officer"), purpose=PURPOSE, request=request)
        return "set"

    def commit_it() -> str:
        services.commit_change(actor=user("checker"), purpose=PURPOSE, change_id=change_id)
        return "committed"

    work = commit_it if process == "commit" else lambda: issue_child_copy(child)
    threads = {"set": in_thread(outcome, "set", set_it), process: in_thread(outcome, process, work)}
    second = process if first == "setter" else "set"
    threads["set" if first == "setter" else process].start()
    wait_for(inside.is_set)
    threads[second].start()
    # The second waits for the first's row lock; one that finishes without waiting took none.
    wait_for(lambda: waiting_on_a_lock() or not threads[second].is_alive())
    go.set()
    for thread in threads.values():
        thread.join(TIMEOUT)
    entries = AuditEntry.objects.filter(outcome="done")
    issuances = IssuanceSubject.objects.filter(atena_number=child).values_list("issuance_id", flat=True)
    subject = str(change_id) if process == "commit" else str(next(iter(issuances), ""))
    committed = entries.filter(action=done_action, subject_id=subject).first()
    set_entry = entries.filter(action="resident:suppression:set").order_by("-seq").first()
    outcome.update(
        change_state=Change.objects.get(pk=change_id).state,
        issuances=str(len(issuances)),
        suppressions=str(
            Suppression.objects.filter(
                Q(resident__atena_number=child) | Q(household__number=household)
            ).count()
        ),
        set_after_commit=str(
            committed is not None and set_entry is not None and set_entry.seq > committed.seq
        ),
    )
    sys.stdout.write(json.dumps(outcome) + "\n")


def main() -> int:
    commands: dict[str, Callable[[], None]] = {"prepare": prepare, "race": lambda: race(*sys.argv[2:5])}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        usage = "prepare | race setter|commit|issuance person|household [commit|issuance]"
        sys.stderr.write(f"usage: {sys.argv[0]} {usage}\n")
        return 2
    commands[sys.argv[1]]()
    return 0


if __name__ == "__main__":
    sys.exit(main())

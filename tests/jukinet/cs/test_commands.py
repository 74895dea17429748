"""`jumin cs …` commands: send-pending, consistency, issue-card (CS side)."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.cli import cs as cs_cli
from jumin.jukinet.cs import services
from jumin.jukinet.cs.models import CsIdentity
from jumin.messaging.envelope import NodeRef
from jumin.messaging.testing import TestFederation
from tests.helpers.accounts import grant_permissions, make_user
from tests.jukinet.cs.factories import update

pytestmark = pytest.mark.django_db
SASEBO = NodeRef("municipality", "422029")


@pytest.fixture
def operator(db: None) -> User:
    user = make_user(username="csop02")
    grant_permissions(user, [Permission.CS_CARD, Permission.CS_CONSISTENCY, Permission.CS_IDENTITY_CHECK])
    return user


def run(name: str, *args: str) -> str:
    out = StringIO()
    call_command(name, *args, stdout=out)
    return out.getvalue()


def test_every_cli_action_names_an_existing_command() -> None:
    from django.core.management import get_commands

    assert set(cs_cli.COMMANDS.values()) <= set(get_commands())


def test_send_pending_reports_how_many_were_queued() -> None:
    services.accept_update(update(), actor=None)
    assert "0件" in run("cs_send_pending")  # no prefecture peer on this node


def test_issue_card_writes_a_card_file_and_consistency_runs(
    federation: TestFederation, operator: User, tmp_path: Path
) -> None:
    request = update()
    with federation.acting_as(SASEBO):
        services.accept_update(request, actor=None)
    federation.pump()
    out = tmp_path / "card.json"
    with federation.acting_as(SASEBO):
        text = run(
            "cs_issue_card",
            "--operator",
            "csop02",
            "--resident-code",
            request.resident_code,
            "--pin",
            "4321",
            "--signing-password",
            "ABC123",
            "--out",
            str(out),
        )
        assert "シリアル番号" in text
        card = json.loads(out.read_text(encoding="utf-8"))
        assert (card["format"], card["resident_code"]) == ("jumin-card/2", request.resident_code)
        assert "4321" not in out.read_text(encoding="utf-8")
        assert "ABC123" not in out.read_text(encoding="utf-8")
        with pytest.raises(CommandError):  # never overwrites a card file
            run(
                "cs_issue_card",
                "--operator",
                "csop02",
                "--resident-code",
                request.resident_code,
                "--pin",
                "4321",
                "--no-signing-certificate",
                "--out",
                str(out),
            )
        report = run("cs_consistency", "--operator", "csop02", "--to", "prefecture")
    assert "done" in report
    assert "差異 0" in report
    assert CsIdentity.objects.count() == 1


def test_issue_card_says_why_a_child_gets_no_signing_certificate(
    federation: TestFederation, operator: User, tmp_path: Path
) -> None:
    child = update(birth_date=(timezone.localdate() - timedelta(days=365 * 10)).strftime("%Y%m%d"))
    with federation.acting_as(SASEBO):
        services.accept_update(child, actor=None)
    federation.pump()
    out = tmp_path / "child.json"
    with federation.acting_as(SASEBO):
        text = run(
            "cs_issue_card",
            *("--operator", "csop02", "--resident-code", child.resident_code, "--pin", "4321"),
            *("--signing-password", "ABC123", "--out", str(out)),
        )
    assert "15歳未満の方には署名用電子証明書を発行しません" in text
    assert json.loads(out.read_text(encoding="utf-8"))["format"] == "jumin-card/1"


def test_a_command_without_the_permission_is_refused(db: None) -> None:
    make_user(username="nobody01")
    with pytest.raises(CommandError):
        run("cs_consistency", "--operator", "nobody01")


def test_the_cli_reports_a_refusal_with_exit_code_one(db: None, capsys: pytest.CaptureFixture[str]) -> None:
    from jumin.cli import main

    assert main(["cs", "consistency", "--operator", "nobody02"]) == 1
    assert "運用アカウントが見つかりません" in capsys.readouterr().err

"""Certifiers and seals (standard 1.3.7-a, 1.3.9, 5.6), 発行番号 counters (§E), 交付履歴 retention."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.test import override_settings
from PIL import Image

from jumin.accounts.authorization import AccessRefused
from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.certificates import numbering
from jumin.certificates.certifiers import CertifierEntry, certifier_for, register_certifier
from jumin.certificates.models import Certifier, HistoryDeletionRefused, IssueCounter
from jumin.certificates.seals import SEAL_PIXELS, check_seal, synthetic_seal
from jumin.domain.certificates import CertifierRole
from jumin.domain.errors import DomainError

pytestmark = pytest.mark.django_db

PURPOSE = "masters"


def entry(**overrides: object) -> CertifierEntry:
    values: dict[str, object] = {
        "role": CertifierRole.MAYOR,
        "prefecture_name": "長崎県",
        "municipality_name": "佐世保市",
        "title": "佐世保市長",
        "name": "見本　太郎",
        "valid_from": date(2023, 5, 1),
        "valid_to": None,
        "seal_png": synthetic_seal("佐世保市長之印"),
    }
    values.update(overrides)
    return CertifierEntry(**values)  # type: ignore[arg-type]


@pytest.fixture
def master_clerk(make_clerk: Callable[..., User]) -> User:
    return make_clerk("master", Permission.MASTERS_EDIT)


def test_the_synthetic_seal_is_black_square_and_passes_the_check() -> None:
    png = synthetic_seal("佐世保市長之印")
    image = Image.open(io.BytesIO(png)).convert("RGBA")
    assert image.size == (SEAL_PIXELS, SEAL_PIXELS)
    data = image.tobytes()
    pixels = [tuple(data[i : i + 4]) for i in range(0, len(data), 4)]
    visible = [(r, g, b) for r, g, b, a in pixels if a]
    assert visible
    assert all(r == g == b == 0 for r, g, b in visible)
    check_seal(png, Decimal("25"))


def _png(colour: tuple[int, int, int, int], size: tuple[int, int] = (40, 40)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGBA", size, colour).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("png", "size", "code"),
    [
        (_png((0, 0, 0, 255)), Decimal("25.1"), "certificates.seal_too_large"),
        (_png((200, 0, 0, 255)), Decimal("21"), "certificates.seal_not_black"),
        (_png((0, 0, 0, 255), (40, 30)), Decimal("21"), "certificates.seal_not_square"),
        (b"not a png", Decimal("21"), "certificates.seal_unreadable"),
    ],
)
def test_a_seal_that_is_red_larger_than_25mm_or_not_square_is_refused(
    png: bytes, size: Decimal, code: str
) -> None:
    with pytest.raises(DomainError) as caught:
        check_seal(png, size)
    assert caught.value.code == code


def test_registering_a_certifier_is_permission_checked_and_audited(
    master_clerk: User, make_clerk: Callable[..., User]
) -> None:
    outsider = make_clerk("outsider", Permission.RESIDENT_VIEW)
    with pytest.raises(AccessRefused):
        register_certifier(actor=outsider, purpose=PURPOSE, entry=entry())
    assert not Certifier.objects.exists()
    key = register_certifier(actor=master_clerk, purpose=PURPOSE, entry=entry())
    certifier = Certifier.objects.get(pk=key)
    assert certifier.printed_title == "長崎県佐世保市長"  # 5.6-a: prefecture name first
    assert bytes(certifier.seal_png).startswith(b"\x89PNG")
    done = AuditEntry.objects.filter(action="certificate:certifier:register", outcome="done")
    assert list(done.values_list("subject_id", flat=True)) == [str(key)]


def test_a_certifier_without_a_name_is_refused_by_the_service_and_the_database(master_clerk: User) -> None:
    with pytest.raises(DomainError) as caught:
        register_certifier(actor=master_clerk, purpose=PURPOSE, entry=entry(name="　"))
    assert caught.value.code == "certificates.certifier_incomplete"
    values = {
        "role": "mayor",
        "prefecture_name": "長崎県",
        "municipality_name": "佐世保市",
        "title": "佐世保市長",
        "valid_from": date(2023, 5, 1),
        "seal_png": b"x",
    }
    with pytest.raises(IntegrityError), transaction.atomic():
        Certifier.objects.create(name="", **values)  # 1.3.9-c (X): no 「○○長 公印」 without a name
    with pytest.raises(IntegrityError), transaction.atomic():
        Certifier.objects.create(name="見本", seal_size_mm=Decimal("30"), **values)


def test_the_certifier_switches_to_the_acting_officer_over_the_registered_period(master_clerk: User) -> None:
    mayor = register_certifier(actor=master_clerk, purpose=PURPOSE, entry=entry())
    acting = register_certifier(
        actor=master_clerk,
        purpose=PURPOSE,
        entry=entry(
            role=CertifierRole.ACTING,
            title="佐世保市長職務代理者　佐世保市副市長",
            name="代理　花子",
            valid_from=date(2026, 1, 10),
            valid_to=date(2026, 1, 20),
            seal_png=synthetic_seal("佐世保市長職務代理者印"),
        ),
    )
    assert certifier_for(date(2026, 1, 9)).pk == mayor
    assert certifier_for(date(2026, 1, 10)).pk == acting
    assert certifier_for(date(2026, 1, 20)).pk == acting
    assert certifier_for(date(2026, 1, 21)).pk == mayor


def test_a_demo_node_without_certifiers_gets_a_fictitious_mayor_once() -> None:
    first = certifier_for(date(2026, 1, 1))
    assert first.role == "mayor"
    assert certifier_for(date(2026, 1, 2)).pk == first.pk
    assert Certifier.objects.count() == 1


def test_outside_demo_mode_no_certifier_means_no_certificate() -> None:
    with override_settings(JUMIN_DEMO=False), pytest.raises(DomainError) as caught:
        certifier_for(date(2026, 1, 1))
    assert caught.value.code == "certificates.no_certifier"


def test_serials_are_consecutive_per_municipality_and_day() -> None:
    day = date(2025, 4, 4)
    assert numbering.next_serials(day, terminal="本庁1", count=2) == [1, 2]
    assert numbering.next_serials(day, terminal="支所2", count=1) == [3]
    assert numbering.next_serials(date(2025, 4, 5), terminal="本庁1", count=1) == [1]
    assert IssueCounter.objects.get(scope="municipality:20250404").last_serial == 3


@override_settings(JUMIN_ISSUE_SERIAL_SCOPE="terminal_day")
def test_the_terminal_day_policy_counts_per_terminal() -> None:
    day = date(2025, 4, 4)
    assert numbering.next_serials(day, terminal="本庁1", count=1) == [1]
    assert numbering.next_serials(day, terminal="支所2", count=1) == [1]
    assert numbering.next_serials(day, terminal="本庁1", count=1) == [2]


def test_issue_history_cannot_be_deleted(master_clerk: User) -> None:
    from jumin.certificates.models import Issuance

    with pytest.raises(HistoryDeletionRefused):
        Issuance.objects.all().delete()

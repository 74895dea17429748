"""転出証明書 with its QR code, and 転出証明書に準ずる証明書 (issue 6 item 1; standard 4.1.3.0.3-a, 5.3-a).

Content is read from the signed PDF with pdftotext; the QR code is read back from the PDF's embedded
image module by module and compared with the documented payload (no QR decoder is installed).
"""

from __future__ import annotations

import subprocess
import tempfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from PIL import Image

from jumin.accounts.models import User
from jumin.audit.models import AuditEntry
from jumin.certificates import move_out_qr
from jumin.certificates.documents import build_document, with_copy
from jumin.certificates.models import Issuance
from jumin.certificates.services import IssuedCertificate, issue_certificate
from jumin.domain.certificates import (
    CertificateKind,
    IdentityCheck,
    RequesterClass,
    ThirdPartyPurpose,
    normalized_options,
)
from jumin.domain.errors import DomainError
from jumin.registry import certificate_sources
from jumin.registry.models import Resident
from jumin.registry.services import DraftRecorded, commit_change
from jumin.registry.workflows.move_out import record_move_out
from tests.certificates.conftest import CERT_PURPOSE, options_for, own_request
from tests.certificates.helpers import flat, pdf_pages
from tests.registry.conftest import PURPOSE
from tests.registry.test_move_out import DESTINATION, move_out

pytestmark = pytest.mark.django_db


def moved_out(family: DraftRecorded, clerk: User, reviewer: User, *, planned: date, notified: date) -> None:
    draft = record_move_out(
        actor=clerk,
        purpose=PURPOSE,
        move_out=move_out(family.atena_numbers, planned_date=planned, notification_date=notified),
    )
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)


@pytest.fixture
def planned_movers(family: DraftRecorded, clerk: User, reviewer: User) -> DraftRecorded:
    """The whole family notified a 転出 today, planned for 5 days later (転出予定者)."""
    today = timezone.localdate()
    moved_out(family, clerk, reviewer, planned=today + timedelta(days=5), notified=today)
    return family


def issue(actor: User, family: DraftRecorded, kind: CertificateKind, **request: Any) -> IssuedCertificate:
    return issue_certificate(
        actor=actor,
        purpose=CERT_PURPOSE,
        request=own_request(**request),
        options=options_for(family.atena_numbers[:1], kind=kind),
    )


def refusal_code(actor: User, family: DraftRecorded, kind: CertificateKind, **request: Any) -> str:
    before = Issuance.objects.count()
    with pytest.raises(DomainError) as caught:
        issue(actor, family, kind, **request)
    assert Issuance.objects.count() == before
    assert AuditEntry.objects.filter(outcome="refused", outcome_reason=caught.value.code).exists()
    return caught.value.code


def embedded_qr_modules(pdf: bytes) -> list[list[bool]]:
    """The QR image embedded in the PDF, read back as modules (4 px each, 4-module quiet zone)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "c.pdf"
        path.write_bytes(pdf)
        command = ["pdfimages", "-png", str(path), str(Path(folder) / "img")]
        subprocess.run(command, check=True)
        for png in sorted(Path(folder).glob("img-*.png")):
            image = Image.open(png).convert("L")
            side = image.width // 4 - 8
            if image.width == image.height and image.width % 4 == 0 and 21 <= side <= 177 and side % 4 == 1:
                return [
                    [image.getpixel((4 * (4 + c) + 2, 4 * (4 + r) + 2)) < 128 for c in range(side)]
                    for r in range(side)
                ]
    raise AssertionError("no QR image in the PDF")


def test_a_move_out_certificate_prints_the_destination_the_planned_date_and_the_fixed_items(
    planned_movers: DraftRecorded, issuer: User, certifier: Any
) -> None:
    issued = issue(issuer, planned_movers, CertificateKind.MOVE_OUT)
    text = flat("".join(pdf_pages(issued.pdf)))
    assert "転出証明書" in text
    assert f"転出先{DESTINATION}" in text
    assert "転出予定年月日" in text
    assert "上記の者は、転出の届出をしたことを証明する。" in text
    # The fixed items of 令24条 are printed even though the options did not ask for them.
    code = Resident.objects.get(atena_number=planned_movers.atena_numbers[0]).current.juminhyo_code  # type: ignore[union-attr]
    assert f"住民票コード{code}" in text
    assert "住民となった年月日" not in text
    assert issued.fee == 0
    issuance = Issuance.objects.get(pk=issued.issuance_id)
    assert issuance.kind == "move_out"
    assert issuance.juminhyo_code_printed
    assert len(issuance.subjects) == 3


def test_the_qr_code_in_the_pdf_carries_the_documented_payload(
    planned_movers: DraftRecorded, issuer: User, certifier: Any
) -> None:
    issued = issue(issuer, planned_movers, CertificateKind.MOVE_OUT)
    options = normalized_options(options_for(planned_movers.atena_numbers[:1], kind=CertificateKind.MOVE_OUT))
    today = timezone.localdate()
    sources = certificate_sources.household_of(planned_movers.atena_numbers[0])
    unit = build_document(
        sources, options, issue_date=today, official_use=False, country_name=lambda code: code
    ).units[0]
    assert unit.move_out is not None
    expected = move_out_qr.payload(
        with_copy(
            unit.move_out, copy_number=issued.copy_numbers[0], municipality="佐世保市", issue_date=today
        )
    )
    assert embedded_qr_modules(issued.pdf) == move_out_qr.qr_matrix(expected)
    data = move_out_qr.parse_payload(expected)
    assert data.copy_number == issued.copy_numbers[0]
    assert data.destination == DESTINATION
    assert data.planned_date == (today + timedelta(days=5)).isoformat()
    assert data.notification_kind == "届出"
    assert [p.name for p in data.people] == ["青木　太郎", "青木　花子", "青木　三奈"]
    assert data.people[0].relationship == "世帯主"


def test_the_qr_payload_round_trips_with_escapes_and_rejects_other_versions() -> None:
    person = move_out_qr.QrPerson(
        juminhyo_code="12345678901",
        name="試験\t一郎",
        furigana="シケン　イチロウ",
        birth_date="1980-01-02",
        birth_date_as_recorded="昭和55年1月2日",
        sex=move_out_qr.sex_code("male"),
        relationship="世帯主",
        honseki="東京都千代田区\\一丁目",
        hittousha="試験　一郎",
        nationality="",
    )
    data = move_out_qr.QrMoveOut(
        copy_number="20261122 佐世保市 001",
        municipality="佐世保市",
        issue_date="2026-11-22",
        planned_date="2026-11-27",
        destination="福岡県\n福岡市",
        address="長崎県佐世保市一丁目1番",
        head_name="試験　一郎",
        notification_kind="届出",
        people=(person,),
    )
    text = move_out_qr.payload(data)
    assert text.splitlines()[0] == "JUMIN-TENSHUTSU/1"
    assert move_out_qr.parse_payload(text) == data
    with pytest.raises(ValueError, match="not a JUMIN-TENSHUTSU/1"):
        move_out_qr.parse_payload(text.replace("/1", "/2", 1))
    with pytest.raises(ValueError, match="number of P lines"):
        move_out_qr.parse_payload(text.rsplit("\n", 1)[0])  # a P line missing


def test_a_late_move_out_gets_the_substitute_not_a_move_out_certificate(
    family: DraftRecorded, clerk: User, reviewer: User, issuer: User, certifier: Any
) -> None:
    today = timezone.localdate()
    moved_out(family, clerk, reviewer, planned=today - timedelta(days=20), notified=today)
    assert refusal_code(issuer, family, CertificateKind.MOVE_OUT) == "certificates.move_out_late"
    issued = issue(issuer, family, CertificateKind.MOVE_OUT_SUBSTITUTE)
    text = flat("".join(pdf_pages(issued.pdf)))
    assert "転出証明書に準ずる証明書" in text
    assert "上記の者は、転出したことを証明する。" in text
    assert f"転出先{DESTINATION}" in text
    assert issued.fee == 300


def test_a_move_out_certificate_needs_a_committed_move_out_and_the_mover_as_requester(
    family: DraftRecorded, issuer: User, certifier: Any
) -> None:
    assert refusal_code(issuer, family, CertificateKind.MOVE_OUT) == "certificates.wrong_status"
    third = {
        "requester_class": RequesterClass.THIRD_PARTY,
        "identity_check": IdentityCheck.DRIVERS_LICENSE,
        "requester_name": "第三者　次郎",
        "third_party_purpose": ThirdPartyPurpose.RIGHTS_OR_DUTIES,
        "purpose_detail": "債権回収",
    }
    assert (
        refusal_code(issuer, family, CertificateKind.MOVE_OUT, **third) == "certificates.move_out_requester"
    )


def test_a_member_who_moved_out_earlier_is_not_on_the_households_move_out_certificate(
    family: DraftRecorded, clerk: User, reviewer: User, issuer: User, certifier: Any
) -> None:
    head, wife, child = family.atena_numbers
    today = timezone.localdate()
    for movers in ([child], [head, wife]):
        draft = record_move_out(
            actor=clerk,
            purpose=PURPOSE,
            move_out=move_out(movers, planned_date=today + timedelta(days=5), notification_date=today),
        )
        commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    issued = issue(issuer, family, CertificateKind.MOVE_OUT)
    assert Issuance.objects.get(pk=issued.issuance_id).subjects == [head, wife]
    assert "青木三奈" not in flat("".join(pdf_pages(issued.pdf)))

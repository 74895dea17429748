"""Rendering (IPAmj明朝, IVS, 外字, subset fonts), PAdES signing, verification and voiding (issue 6)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings

from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.certificates import signing
from jumin.certificates.models import CopyVoid, Issuance
from jumin.certificates.services import issue_certificate, verify_certificate, void_copy
from jumin.domain.errors import DomainError
from jumin.registry.models import Resident, ResidentSnapshot
from jumin.registry.services import DraftRecorded, commit_change, record_move_in
from tests.certificates.conftest import CERT_PURPOSE, options_for, own_request
from tests.certificates.helpers import embedded_glyph_outlines, flat, pdf_fonts, pdf_pages
from tests.registry.conftest import PURPOSE, person
from tests.registry.test_move_in import family_move_in

pytestmark = pytest.mark.django_db

SAI_IVS = "斉\U000e0103"  # 斉 with an IVS selector registered in IPAmj明朝 (MJ059659)


def issue(actor: User, numbers: tuple[str, ...] | list[str], **options: Any) -> bytes:
    return issue_certificate(
        actor=actor, purpose=CERT_PURPOSE, request=own_request(), options=options_for(numbers, **options)
    ).pdf


def rename(atena_number: str, surname: str) -> None:
    """Set a registered name directly on the committed row (as an import of registered 外字 would)."""
    resident = Resident.objects.get(atena_number=atena_number)
    ResidentSnapshot.objects.filter(pk=resident.current_id).update(surname=surname)


def test_a_name_with_an_ivs_selector_prints_the_registered_glyph_not_the_base_one(
    family: DraftRecorded, issuer: User, certifier: Any
) -> None:
    head, wife, _child = family.atena_numbers
    rename(head, f"{SAI_IVS}藤")
    rename(wife, "斉藤")
    pdf = issue(issuer, [head])
    glyphs = embedded_glyph_outlines(pdf, "Jumin-ipamj")
    assert SAI_IVS in glyphs
    assert "斉" in glyphs
    assert glyphs[SAI_IVS]
    assert glyphs["斉"]
    assert glyphs[SAI_IVS] != glyphs["斉"]
    assert f"{SAI_IVS}藤" in pdf_pages(pdf)[0]  # the selector survives text extraction


@pytest.mark.parametrize("surname", ["\ue000木", "斉\U000e01ef藤"], ids=["private-use", "unregistered-ivs"])
def test_an_unregistered_gaiji_stops_the_issuance_with_an_alert_never_a_wrong_glyph(
    family: DraftRecorded, issuer: User, certifier: Any, surname: str
) -> None:
    head = family.atena_numbers[0]
    rename(head, surname)
    with pytest.raises(DomainError) as caught:
        issue(issuer, [head])
    assert caught.value.code == "certificates.unregistered_gaiji"
    assert "外字" in caught.value.reason
    assert surname not in str(caught.value)
    assert not Issuance.objects.exists()
    refusal = AuditEntry.objects.get(action="certificate:copy:issue", outcome="refused")
    assert refusal.outcome_reason == "certificates.unregistered_gaiji"


def test_fonts_are_embedded_as_subsets_and_text_is_extractable(
    family: DraftRecorded, issuer: User, certifier: Any
) -> None:
    pdf = issue(issuer, family.atena_numbers[:1])
    fonts = pdf_fonts(pdf)
    names = [row[0] for row in fonts]
    assert any("+Jumin-ipamj-" in n for n in names), names  # IPAmj明朝's working copy
    assert any(n.endswith("+Jumin-ipaexm") for n in names), names  # IPAex明朝
    assert all(row[-5:-2] == ["yes", "yes", "yes"] for row in fonts), fonts  # emb, sub, uni
    assert "青木太郎" in flat(pdf_pages(pdf)[0])


def test_registered_data_is_set_in_the_working_copy_not_the_installed_font_of_the_same_family(
    family: DraftRecorded, issuer: User, certifier: Any
) -> None:
    """The installed IPAmj明朝 (family "IPAmjMincho", 46 MB) must not answer for the @font-face rule: every
    certificate would copy and subset all of it. Only the working copy and IPAex明朝 are embedded."""
    from jumin.certificates import fonts, rendering

    pdf = issue(issuer, family.atena_numbers[:1])
    working = fonts.working_font(rendering.registered_font_path(), ["青木太郎"])
    names = sorted(row[0].split("+", 1)[1] for row in pdf_fonts(pdf))
    text = rendering.text_font_path()
    assert names == sorted([rendering.font_family(working), rendering.font_family(text)])


def test_every_pdf_is_signed_and_verifies_against_the_issue_history(
    family: DraftRecorded, issuer: User, certifier: Any
) -> None:
    pdf = issue(issuer, family.atena_numbers[:1], copies=2)
    assert b"/SubFilter /ETSI.CAdES.detached" in pdf  # PAdES
    result = verify_certificate(data=pdf)
    assert result.valid
    assert result.reason == ""
    assert len(result.copy_numbers) == 2
    assert AuditEntry.objects.filter(action="certificate:copy:verify", outcome_reason="valid").count() == 1


def test_a_changed_or_appended_pdf_is_invalid(family: DraftRecorded, issuer: User, certifier: Any) -> None:
    pdf = issue(issuer, family.atena_numbers[:1])
    position = pdf.index(b"/Keywords")
    tampered = pdf[:position] + pdf[position:].replace(b"(", b"(X", 1)
    assert not verify_certificate(data=tampered).valid
    assert not verify_certificate(data=pdf + b"\n% appended\n").valid
    assert verify_certificate(data=b"%PDF-1.7 not really").reason == "PDFとして読み取れません。"


def test_a_pdf_signed_with_another_key_is_invalid(
    family: DraftRecorded, issuer: User, certifier: Any, tmp_path: Path
) -> None:
    pdf = issue(issuer, family.atena_numbers[:1])
    other = tmp_path / "other"
    with override_settings(
        JUMIN_CERTIFICATE_SIGNING_KEY=str(other / "k.pem"),
        JUMIN_CERTIFICATE_SIGNING_CERT=str(other / "c.pem"),
    ):
        forged = issue(issuer, family.atena_numbers[:1])
    result = verify_certificate(data=forged)
    assert not result.valid
    assert "署名鍵" in result.reason
    assert verify_certificate(data=pdf).valid


def test_a_signed_pdf_whose_number_is_not_in_the_history_is_invalid(
    family: DraftRecorded, issuer: User, certifier: Any
) -> None:
    pdf = issue(issuer, family.atena_numbers[:1])
    Issuance.objects.update(pdf_sha256="0" * 64)  # the file no longer matches the recorded one
    assert verify_certificate(data=pdf).reason == "交付履歴に記録された文書と一致しません。"


def test_a_voided_copy_is_invalid_and_the_void_is_recorded_once(
    family: DraftRecorded, issuer: User, certifier: Any, make_clerk: Callable[..., User]
) -> None:
    issued = issue_certificate(
        actor=issuer,
        purpose=CERT_PURPOSE,
        request=own_request(),
        options=options_for(family.atena_numbers[:1]),
    )
    (number,) = issued.copy_numbers
    bystander = make_clerk("bystander", Permission.CERTIFICATE_ISSUE)
    from jumin.accounts.authorization import AccessRefused

    with pytest.raises(AccessRefused):
        void_copy(actor=bystander, purpose=CERT_PURPOSE, copy_number=number, reason="印字不良")
    with pytest.raises(DomainError):
        void_copy(actor=issuer, purpose=CERT_PURPOSE, copy_number=number, reason=" ")
    void_copy(actor=issuer, purpose=CERT_PURPOSE, copy_number=number, reason="印字不良のため廃棄")
    void = CopyVoid.objects.get()
    assert (void.copy.copy_number, void.voided_by, void.reason) == (number, issuer, "印字不良のため廃棄")
    with pytest.raises(DomainError) as again:
        void_copy(actor=issuer, purpose=CERT_PURPOSE, copy_number=number, reason="二重")
    assert again.value.code == "certificates.already_voided"
    result = verify_certificate(data=issued.pdf)
    assert not result.valid
    assert "廃棄" in result.reason
    assert AuditEntry.objects.filter(action="certificate:copy:void", outcome="done").count() == 1


def test_outside_demo_mode_a_missing_signing_key_stops_issuance_with_a_clear_error(
    family: DraftRecorded, issuer: User, certifier: Any
) -> None:
    with override_settings(JUMIN_DEMO=False), pytest.raises(DomainError) as caught:
        issue(issuer, family.atena_numbers[:1])
    assert caught.value.code == "certificates.signing_key_missing"
    assert not Issuance.objects.exists()
    assert AuditEntry.objects.filter(outcome_reason="certificates.signing_key_missing").count() == 1
    with override_settings(JUMIN_DEMO=False), pytest.raises(signing.SigningKeyMissing):
        signing.signing_material()


def test_the_cli_verifies_a_file_exit_0_valid_1_invalid_with_the_reason(
    family: DraftRecorded, issuer: User, certifier: Any, tmp_path: Path, signing_keys: Path
) -> None:
    from jumin.cli import certificates as cli

    pdf = issue(issuer, family.atena_numbers[:1])
    good, bad = tmp_path / "good.pdf", tmp_path / "bad.pdf"
    good.write_bytes(pdf)
    bad.write_bytes(pdf + b"\n% appended\n")
    assert cli.verify_file(good) == 0
    assert cli.verify_file(bad) == 1
    assert cli.verify_file(tmp_path / "missing.pdf") == 1


def test_the_cli_subcommand_is_wired_into_jumin() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "jumin.cli", "certificates", "verify", "--help"],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0
    assert "FILE" in out.stdout


def test_a_committed_name_prints_through_the_api_of_registry_only(
    clerk: User, reviewer: User, code_pool: list[str], issuer: User, certifier: Any
) -> None:
    draft = record_move_in(
        actor=clerk,
        purpose=PURPOSE,
        move_in=family_move_in(members=[person(surname="渡邊", surname_kana="ワタナベ")]),
    )
    with pytest.raises(DomainError) as caught:
        issue(issuer, draft.atena_numbers[:1])  # a 転入 draft: nobody to certify yet (C-24)
    assert caught.value.code == "registry.resident_not_found"
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    assert "渡邊" in flat(pdf_pages(issue(issuer, draft.atena_numbers[:1]))[0])


def test_the_p4_benchmark_harness_runs_on_a_few_certificates(code_pool: list[str]) -> None:
    """A smoke run keeps the harness working (performance.md); it asserts no timing."""
    from jumin.cli.bench_certificates import measure_certificates

    result = measure_certificates(count=3, warmup=1)
    assert result["count"] == 3
    assert {
        "p50_ms",
        "p95_ms",
        "p99_ms",
        "per_s_one_core",
        "signature_only_p95_ms",
        "cpu_p50_ms",
        "cpu_p95_ms",
        "met",
    } <= set(result)
    assert Issuance.objects.count() == 4
    assert all(len(people) == 4 for people in Issuance.objects.values_list("subjects", flat=True))

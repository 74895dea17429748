"""EUC PDF outputs (standard 10.1-c): 宛名ラベル on A4 sheets of 12 or 21 and the list, print-ready in the
certificates' fonts; an unregistered 外字 is refused and listed, never printed wrong (docs/euc.md)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.urls import reverse

from jumin.accounts.models import User
from jumin.audit.actions import AuditAction
from jumin.audit.models import AuditEntry, AuditResultSubject
from jumin.domain.errors import DomainError
from jumin.registry.euc import services
from jumin.registry.euc.definition import parse_definition
from jumin.registry.euc.extraction import Extraction
from jumin.registry.euc.writers import LABEL_SHEETS, OutputFormat, prepared_for, write_labels, write_pdf
from jumin.registry.models_euc import EucRun
from jumin.registry.services import DraftRecorded
from tests.certificates.helpers import flat, pdf_fonts, pdf_pages
from tests.registry.conftest import PURPOSE, logged_in
from tests.registry.test_euc import euc_clerk, run

pytestmark = pytest.mark.django_db
__all__ = ["euc_clerk"]  # the fixture, imported for use here


def _row(number: int, surname: str = "青木") -> dict[str, str]:
    return {
        "_atena": f"{number:07d}",
        "postal_code": "8570044",
        "address": "長崎県佐世保市八幡町1番1号",
        "katagaki": f"八幡ハイツ{number}号室",
        "surname": surname,
        "given_name": "太郎",
    }


@pytest.mark.parametrize(("output_format", "pages"), [(OutputFormat.LABEL_12, 2), (OutputFormat.LABEL_21, 1)])
def test_labels_fill_a4_sheets_of_12_or_21(output_format: OutputFormat, pages: int) -> None:
    extraction = Extraction(rows=[_row(number) for number in range(1, 14)])  # 13 labels
    output = write_labels(extraction, LABEL_SHEETS[output_format])
    assert output.content.startswith(b"%PDF")
    assert output.row_count == 13
    text = pdf_pages(output.content)
    assert len(text) == pages
    first = flat(text[0])
    assert "〒857-0044" in first
    assert "長崎県佐世保市八幡町1番1号" in first
    assert "八幡ハイツ1号室" in first
    assert "青木太郎様" in first
    assert any("+Jumin-ipamj-" in row[0] for row in pdf_fonts(output.content))  # IPAmj明朝, as certificates


def test_a_label_with_an_unregistered_gaiji_is_refused_and_listed_without_its_value() -> None:
    extraction = Extraction(rows=[_row(1), _row(2, surname="\ue000木")])  # a private-use 外字
    output = write_labels(extraction, LABEL_SHEETS[OutputFormat.LABEL_12])
    assert output.row_count == 1
    assert output.refused_rows == [{"row": 2, "atena_number": "0000002", "items": ["氏名"]}]
    assert "\ue000" not in str(output.refused_rows)


def test_labels_need_a_person_list_and_read_the_label_items_whatever_is_shown() -> None:
    definition = parse_definition({"items": ["atena_number"]})
    keys = [item.key for item in prepared_for(definition, OutputFormat.LABEL_21).items]
    assert keys == ["atena_number", "postal_code", "address", "katagaki", "surname", "given_name"]
    assert prepared_for(definition, OutputFormat.CSV) is definition
    with pytest.raises(DomainError) as refused:
        prepared_for(parse_definition({"mode": "count"}), OutputFormat.LABEL_12)
    assert refused.value.code == "euc.label_rows_only"


def test_a_label_run_is_audited_and_downloaded_as_a_pdf(family: DraftRecorded, euc_clerk: User) -> None:
    result = run(euc_clerk, {"items": ["atena_number"]}, fmt=OutputFormat.LABEL_12)
    assert (result.state, result.row_count) == (EucRun.State.DONE, 3)
    assert "花子様" in flat(pdf_pages(bytes(result.content))[0])
    entry = AuditEntry.objects.filter(action=AuditAction.EUC_EXTRACTION_RUN).get()
    listed = set(AuditResultSubject.objects.filter(entry=entry).values_list("subject_id", flat=True))
    assert listed == set(family.atena_numbers)
    name, content_type, content = services.download_result(actor=euc_clerk, purpose=PURPOSE, run_id=result.pk)
    assert (name, content_type) == (f"euc-{result.pk}.pdf", "application/pdf")
    assert content.startswith(b"%PDF")


def test_the_api_takes_a_label_format_and_refuses_labels_of_totals(euc_clerk: User) -> None:
    client = logged_in(euc_clerk)
    refused = client.post(
        "/api/registry/euc/runs",
        {"purpose": PURPOSE, "definition": {"mode": "count"}, "output_format": "label21"},
        content_type="application/json",
    )
    assert refused.status_code == 400
    assert refused.json()["code"] == "euc.label_rows_only"
    assert not EucRun.objects.exists()
    queued = client.post(
        "/api/registry/euc/runs",
        {"purpose": PURPOSE, "definition": {"items": ["surname"]}, "output_format": "label21"},
        content_type="application/json",
    )
    assert queued.status_code == 202
    assert EucRun.objects.get().output_format == "label21"


def test_the_pdf_list_uses_the_certificates_fonts_and_refuses_an_unregistered_gaiji() -> None:
    definition = parse_definition({"items": ["surname", "address"]})
    extraction = Extraction(rows=[_row(1), _row(2, surname="\ue000木")])
    output = write_pdf(definition, extraction, title="EUC抽出結果")
    assert output.row_count == 1
    assert output.refused_rows == [{"row": 2, "atena_number": "0000002", "items": ["氏"]}]
    assert "長崎県佐世保市八幡町1番1号" in flat(pdf_pages(output.content)[0])
    assert any("+Jumin-ipamj-" in row[0] for row in pdf_fonts(output.content))


def test_labels_are_chosen_on_the_wizard_output_step_and_named_in_the_results(
    family: DraftRecorded, euc_clerk: User, django_capture_on_commit_callbacks: Any
) -> None:
    client = logged_in(euc_clerk)
    step4 = {"step": "4", "definition": json.dumps({"items": ["atena_number"]}), "purpose": PURPOSE}
    page = client.post(reverse("registry:euc"), {**step4, "action": "next"})
    assert '<option value="label21">宛名ラベル PDF（A4 21面）</option>' in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("registry:euc"), {**step4, "action": "run", "format": "label21"})
    results = client.post(reverse("registry:euc_results"), {"purpose": PURPOSE})
    assert "宛名ラベル PDF（A4 21面）" in results.content.decode()
    assert EucRun.objects.get().row_count == 3

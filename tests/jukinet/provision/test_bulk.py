"""一括提供: condition list → result file, approval, medium and log (issue 9 item 4)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from jumin.accounts import approvals
from jumin.accounts.errors import RuleRefused
from jumin.accounts.models import MediaOutputRecord, User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.domain.errors import DomainError
from jumin.jukinet.prefecture.provision.bulk import run_bulk
from jumin.jukinet.prefecture.provision.conditions import HEADER
from jumin.jukinet.prefecture.provision.models import BulkRun, LegalBasis, ProvisionRecord
from jumin.jukinet.prefecture.provision.synthetic import Person, person
from tests.helpers.accounts import StaffClient, grant_permissions
from tests.jukinet.provision.conftest import PURPOSE, approved_media_output


def condition_file(rows: list[list[str]], header: tuple[str, ...] = HEADER) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def read_result(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8"))))


def by_code(number: str, p: Person) -> list[str]:
    return [number, "1", p.resident_code, "", "", "", "", "", ""]


def test_every_row_gets_a_result_line_and_bad_rows_an_error(
    people: list[Person], bulk_operator: User, narrow_basis: LegalBasis
) -> None:
    same_name = people[4]
    rows = [
        by_code("1", people[0]),
        ["2", "3", "", "", people[1].name, "", people[1].birth_date, "", ""],
        by_code("3", person(5000)),  # not in this prefecture
        ["4", "9", "", "", "", "", "", "", ""],  # bad 検索区分
        ["5", "3", "", "", same_name.name, "", "", "", ""],  # one item only
        ["6", "3", "", "", same_name.name, "", "", "", "佐賀県佐賀市"],  # several people
        ["1", "1", people[2].resident_code, "", "", "", "", "", ""],  # repeated 行番号
        ["8", "1", "123", "", "", "", "", "", ""],  # malformed code
        ["9", "2", "", people[3].individual_number, "", "", "", "", ""],  # no 個人番号 access
        ["10", "1"],  # short row
    ]
    approval = approved_media_output(bulk_operator, max_count=10)
    result = run_bulk(
        actor=bulk_operator,
        basis_id=narrow_basis.pk,
        approval_id=approval,
        medium_id="USB-0001",
        content=condition_file(rows),
        purpose=PURPOSE,
    )
    lines = read_result(result.content)
    assert [line["行番号"] for line in lines] == ["1", "2", "3", "4", "5", "6", "1", "8", "9", "10"]
    statuses = [line["結果"] for line in lines]
    expected = ["該当", "該当", "該当なし", "エラー", "エラー", "複数該当", *["エラー"] * 4]
    assert statuses == expected
    assert [line["エラーコード"] for line in lines if line["結果"] == "エラー"] == [
        "E04",
        "E07",
        "E03",
        "E07",
        "E08",
        "E01",
    ]
    assert all(line["エラー内容"] for line in lines if line["結果"] == "エラー")
    assert list(lines[0]) == ["行番号", "結果", "エラーコード", "エラー内容", "氏名", "住所"]
    assert lines[0]["氏名"] == people[0].name
    assert lines[2]["氏名"] == ""
    run = BulkRun.objects.get()
    assert (run.row_count, run.found_count, run.not_found_count, run.multiple_count, run.error_count) == (
        10,
        2,
        1,
        1,
        6,
    )
    assert ProvisionRecord.objects.filter(bulk_run=run).count() == 10
    assert ProvisionRecord.objects.filter(bulk_run=run, outcome="provided").count() == 2
    output = MediaOutputRecord.objects.get()
    assert output.record_count == 2
    assert output.medium.medium_id == "USB-0001"
    assert output.file_sha256 == run.result_sha256
    assert AuditEntry.objects.filter(action="provision:bulk:run", outcome="done").count() == 1


def test_no_output_without_an_approval(people: list[Person], bulk_operator: User, basis: LegalBasis) -> None:
    with pytest.raises(RuleRefused):
        run_bulk(
            actor=bulk_operator,
            basis_id=basis.pk,
            approval_id=999,
            medium_id="USB-0001",
            content=condition_file([by_code("1", people[0])]),
            purpose=PURPOSE,
        )
    assert not BulkRun.objects.exists()
    assert not ProvisionRecord.objects.filter(outcome="provided").exists()
    refused = ProvisionRecord.objects.get()
    assert (refused.outcome, refused.outcome_reason) == ("refused", "approval_unusable")
    audited = AuditEntry.objects.get(action="media:output:record")
    assert (audited.outcome, audited.outcome_reason) == ("refused", "approval_unusable")


def test_an_unknown_basis_is_refused_logged_and_audited(
    people: list[Person], bulk_operator: User, basis: LegalBasis
) -> None:
    approval = approved_media_output(bulk_operator, max_count=5)
    basis.is_active = False
    basis.save()
    with pytest.raises(DomainError) as raised:
        run_bulk(
            actor=bulk_operator,
            basis_id=basis.pk,
            approval_id=approval,
            medium_id="USB-0001",
            content=condition_file([by_code("1", people[0])]),
            purpose=PURPOSE,
        )
    assert raised.value.code == "provision.basis_unknown"
    refused = ProvisionRecord.objects.get()
    assert (refused.outcome, refused.outcome_reason) == ("refused", "provision.basis_unknown")
    audited = AuditEntry.objects.get(action="provision:bulk:run")
    assert (audited.outcome, audited.outcome_reason) == ("refused", "provision.basis_unknown")


def test_checking_a_media_output_writes_nothing(
    people: list[Person], bulk_operator: User, basis: LegalBasis
) -> None:
    approval = approved_media_output(bulk_operator, max_count=2)
    entries = AuditEntry.objects.count()
    checked = approvals.check_media_output(
        actor=bulk_operator, approval_id=approval, medium_id="USB-0001", count=2
    )
    assert checked.pk == approval
    with pytest.raises(RuleRefused) as raised:
        approvals.check_media_output(actor=bulk_operator, approval_id=approval, medium_id="USB-0001", count=3)
    assert raised.value.reason_code == "approval_count_exceeded"
    with pytest.raises(RuleRefused) as raised:
        approvals.check_media_output(actor=bulk_operator, approval_id=approval, medium_id="USB-9999", count=1)
    assert raised.value.reason_code == "medium_invalid"
    assert AuditEntry.objects.count() == entries
    assert not MediaOutputRecord.objects.exists()
    run_bulk(
        actor=bulk_operator,
        basis_id=basis.pk,
        approval_id=approval,
        medium_id="USB-0001",
        content=condition_file([by_code("1", people[0])]),
        purpose=PURPOSE,
    )  # still usable


def test_an_approval_is_used_once(people: list[Person], bulk_operator: User, basis: LegalBasis) -> None:
    approval = approved_media_output(bulk_operator, max_count=5)
    content = condition_file([by_code("1", people[0])])
    kwargs = {"basis_id": basis.pk, "approval_id": approval, "medium_id": "USB-0001", "purpose": PURPOSE}
    run_bulk(actor=bulk_operator, content=content, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(RuleRefused):
        run_bulk(actor=bulk_operator, content=content, **kwargs)  # type: ignore[arg-type]
    assert BulkRun.objects.count() == 1


def test_more_persons_than_approved_are_refused_and_nothing_is_written(
    people: list[Person], bulk_operator: User, basis: LegalBasis
) -> None:
    approval = approved_media_output(bulk_operator, max_count=1)
    content = condition_file([by_code("1", people[0]), by_code("2", people[1])])
    with pytest.raises(RuleRefused):
        run_bulk(
            actor=bulk_operator,
            basis_id=basis.pk,
            approval_id=approval,
            medium_id="USB-0001",
            content=content,
            purpose=PURPOSE,
        )
    assert not BulkRun.objects.exists()
    refused = ProvisionRecord.objects.get()  # the refusal is logged; nothing is provided
    assert (refused.outcome, refused.outcome_reason) == ("refused", "approval_count_exceeded")
    refusal = AuditEntry.objects.get(action="media:output:record")
    assert (refusal.outcome, refusal.outcome_reason) == ("refused", "approval_count_exceeded")
    assert approvals.check_media_output(
        actor=bulk_operator, approval_id=approval, medium_id="USB-0001", count=1
    )  # the refused run did not use the approval up


@pytest.mark.parametrize(
    ("content", "code"),
    [
        ("行番号,検索区分\n1,1\n".encode(), "provision.file_header"),
        (",".join(HEADER).encode("utf-16"), "provision.file_encoding"),
        ((",".join(HEADER) + "\n").encode(), "provision.file_empty"),
    ],
)
def test_a_file_that_is_not_a_condition_list_is_refused_whole(
    people: list[Person], bulk_operator: User, basis: LegalBasis, content: bytes, code: str
) -> None:
    approval = approved_media_output(bulk_operator, max_count=5)
    with pytest.raises(DomainError) as raised:
        run_bulk(
            actor=bulk_operator,
            basis_id=basis.pk,
            approval_id=approval,
            medium_id="USB-0001",
            content=content,
            purpose=PURPOSE,
        )
    assert raised.value.code == code
    assert not BulkRun.objects.exists()


def test_number_search_and_number_items_with_number_access(
    people: list[Person], bulk_operator: User, basis: LegalBasis
) -> None:
    grant_permissions(bulk_operator, [Permission.INDIVIDUAL_NUMBER_ACCESS], duty="individual_number")
    approval = approved_media_output(bulk_operator, max_count=5)
    rows = [["1", "2", "", people[3].individual_number, "", "", "", "", ""]]
    result = run_bulk(
        actor=bulk_operator,
        basis_id=basis.pk,
        approval_id=approval,
        medium_id="USB-0001",
        content=condition_file(rows),
        purpose=PURPOSE,
    )
    line = read_result(result.content)[0]
    assert line["結果"] == "該当"
    assert line["住民票コード"] == people[3].resident_code
    assert line["個人番号"] == people[3].individual_number
    record = ProvisionRecord.objects.get(bulk_run=result.run)
    assert record.searched_number_index
    assert AuditEntry.objects.get(action="provision:bulk:run").individual_number_used


def test_the_bulk_screen_downloads_the_result_file(
    people: list[Person], make_staff: Callable[..., StaffClient], narrow_basis: LegalBasis
) -> None:
    client = make_staff([Permission.PROVISION_BULK, Permission.OUTPUT_BULK_REQUEST])
    assert client.user is not None
    approval = approved_media_output(client.user, max_count=5)
    upload = SimpleUploadedFile("conditions.csv", condition_file([by_code("1", people[0])]), "text/csv")
    response = client.post(
        reverse("jukinet_provision:bulk"),
        {"basis_id": narrow_basis.pk, "approval_id": approval, "medium_id": "USB-0001", "conditions": upload},
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert read_result(response.content)[0]["氏名"] == people[0].name
    refused = client.post(
        reverse("jukinet_provision:bulk"),
        {
            "basis_id": narrow_basis.pk,
            "approval_id": approval,
            "medium_id": "USB-0001",
            "conditions": SimpleUploadedFile("c.csv", condition_file([by_code("1", people[0])])),
        },
    )
    assert "承認" in refused.content.decode()  # the approval was used up: a Japanese reason, no file


def test_the_benchmark_runs_end_to_end_on_a_small_list(db: None) -> None:
    from jumin.cli.bench_provision import bench_bulk_provision

    figures = bench_bulk_provision(60)
    assert figures["rows"] == 60
    assert figures["errors"] == 2  # every 25th row is malformed
    assert figures["not_found"] == 3  # every 20th row names nobody
    assert figures["found"] == 55


def test_four_item_rows_without_a_birth_date_are_read_in_one_query_per_group(
    people: list[Person], bulk_operator: User, narrow_basis: LegalBasis
) -> None:
    """Name (or reading) and address rows: one IN query on the stored keys, not one query per row."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def by_name_and_address(number: int, p: Person) -> list[str]:
        return [str(number), "3", "", "", p.name, "", "", "", p.address]

    def by_reading_and_address(number: int, p: Person) -> list[str]:
        return [str(number), "3", "", "", "", p.name_kana, "", "", p.address]

    def identity_reads(rows: list[list[str]]) -> tuple[int, list[str]]:
        approval = approved_media_output(bulk_operator, max_count=len(rows))
        with CaptureQueriesContext(connection) as queries:
            result = run_bulk(
                actor=bulk_operator,
                basis_id=narrow_basis.pk,
                approval_id=approval,
                medium_id="USB-0001",
                content=condition_file(rows),
                purpose=PURPOSE,
            )
        reads = [q for q in queries.captured_queries if "jukinet_prefecture_identityrecord" in q["sql"]]
        return len(reads), [line["結果"] for line in read_result(result.content)]

    few, statuses = identity_reads([by_name_and_address(1, people[0]), by_reading_and_address(2, people[1])])
    assert statuses == ["該当", "該当"]
    many, statuses = identity_reads(
        [by_name_and_address(n, people[n]) for n in range(0, 20, 2)]
        + [by_reading_and_address(n, people[n]) for n in range(1, 20, 2)]
    )
    assert statuses == ["該当"] * 20
    assert many == few == 2  # one name-key query and one reading-key query

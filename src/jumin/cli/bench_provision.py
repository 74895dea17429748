"""P10 of performance.md: 一括提供 of a 100,000-row condition list in at most 60 s (2 cores).

``bench_bulk_provision`` builds N synthetic prefecture records in bulk, a condition file of N rows
(mixed search kinds, 4情報 with and without a birth date, some not found, some bad rows) and runs the
bulk provision service end to end.
Only the human approval is outside the measurement: it is taken beforehand through the real approvals
service (two stages, registered medium). Needs a configured Django with a migrated database.
"""

from __future__ import annotations

import csv
import io
import secrets
import time
from typing import Any

from jumin.accounts import approvals, clock
from jumin.accounts.grants import apply_for_grant, decide_grant_application
from jumin.cli.bench_registry import _bench_admin
from jumin.cli.demo_staff import SETUP_PURPOSE, _approver, provision_staff
from jumin.jukinet.prefecture.provision.conditions import HEADER
from jumin.jukinet.prefecture.provision.items import ITEMS
from jumin.jukinet.prefecture.provision.models import LegalBasis, RequestingBody
from jumin.jukinet.prefecture.provision.synthetic import make_records, person

PURPOSE = "provision_bulk"


def _staff(duty: str, prefix: str) -> Any:
    suffix = secrets.token_hex(3)
    return provision_staff(
        admin=_bench_admin(),
        username=f"bench-{prefix}-{suffix}",
        name="ベンチ 職員",
        staff_number=f"BENCH-{prefix}-{suffix}",
        duty=duty,
    ).user


def _add_grant(user: Any, duty: str) -> None:
    today = clock.today()
    application = apply_for_grant(
        actor=_bench_admin(),
        grantee_id=user.pk,
        duty=duty,
        starts_on=today,
        ends_on=clock.fiscal_year_end(today),
        purpose=SETUP_PURPOSE,
    )
    decide_grant_application(
        actor=_approver("demo-it-head"), application_id=application.pk, approve=True, purpose=SETUP_PURPOSE
    )


def _approval(operator: Any, max_count: int) -> tuple[int, str]:
    """A registered medium and a media-output approval decided by 所属長 and 情報主管課長."""
    section_head = _staff("section_head", "sh")
    it_head = _staff("it_head", "it")
    medium_id = f"BENCH-{secrets.token_hex(4)}"
    approvals.register_medium(
        actor=it_head, medium_id=medium_id, label="ベンチ用媒体", encrypted=True, purpose=SETUP_PURPOSE
    )
    approval = approvals.request_approval(
        actor=operator,
        kind="media_output",
        purpose=PURPOSE,
        scope="一括提供ベンチ",
        max_count=max_count,
        medium_id=medium_id,
    )
    for approver in (section_head, it_head):
        approvals.decide_approval(actor=approver, approval_id=approval.pk, approve=True, purpose="承認")
    return approval.pk, medium_id


def _basis() -> LegalBasis:
    code = f"B{secrets.token_hex(4)}"
    body = RequestingBody.objects.create(
        code=code, name="ベンチ教育委員会", kind=RequestingBody.Kind.EXECUTIVE_BODY, ordinance="ベンチ条例"
    )
    return LegalBasis.objects.create(
        body=body, code="BENCH", label="ベンチ事務", article="住基法30条の15第2項", allowed_items=list(ITEMS)
    )


def condition_rows(serials: list[int], missing_from: int) -> list[list[str]]:
    """Mixed rows: 住民票コード, 個人番号, 4情報 (half of them name, sex and address without a birth
    date); every 20th not found, every 25th malformed."""
    rows = []
    for number, serial in enumerate(serials, start=1):
        if number % 25 == 0:
            rows.append([str(number), "3", "", "", "", "", "", "", "佐賀県"])  # one item only → error
            continue
        p = person(missing_from + number if number % 20 == 0 else serial)
        kind = number % 3
        if kind == 0:
            rows.append([str(number), "1", p.resident_code, "", "", "", "", "", ""])
        elif kind == 1:
            rows.append([str(number), "2", "", p.individual_number, "", "", "", "", ""])
        elif number % 6 == 5:  # 4情報 without a birth date: grouped by the name key, one IN query
            rows.append(
                [str(number), "3", "", "", p.name, "", "", "女" if p.sex == "female" else "男", p.address]
            )
        else:
            rows.append(
                [str(number), "3", "", "", p.name, "", p.birth_date, "女" if p.sex == "female" else "男", ""]
            )
    return rows


def bench_bulk_provision(rows: int) -> dict[str, Any]:
    """Time the bulk provision of ``rows`` condition rows against ``rows`` synthetic records."""
    from jumin.jukinet.prefecture.provision.bulk import run_bulk

    first = 10_000_000 + secrets.randbelow(10_000) * 100_000  # fresh serials on a reused database
    serials = list(range(first, first + rows))
    make_records(serials, batch=5000)
    operator = _staff("provision_bulk", "op")
    _add_grant(operator, "individual_number")
    approval_id, medium_id = _approval(operator, max_count=rows)
    basis = _basis()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    writer.writerows(condition_rows(serials, missing_from=first + rows + 1_000_000))
    content = buffer.getvalue().encode("utf-8")
    start, cpu_start = time.perf_counter(), time.process_time()
    result = run_bulk(
        actor=operator,
        basis_id=basis.pk,
        approval_id=approval_id,
        medium_id=medium_id,
        content=content,
        purpose=PURPOSE,
    )
    seconds = time.perf_counter() - start
    # CPU time of this process: on a shared machine the wall time also counts other processes' turns.
    cpu_seconds = time.process_time() - cpu_start
    run = result.run
    return {
        "rows": rows,
        "seconds": round(seconds, 3),
        "rows_per_second": round(rows / seconds, 1) if seconds else None,
        "cpu_seconds": round(cpu_seconds, 3),
        "found": run.found_count,
        "not_found": run.not_found_count,
        "multiple": run.multiple_count,
        "errors": run.error_count,
    }

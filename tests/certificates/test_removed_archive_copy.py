"""A 除票 in the 除票データベース is still certified (standard 1.1.5-e): the 除票の写し is issued from
the archive's copy, not from the live rows the move marked."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.domain.certificates import CertificateKind
from jumin.registry.models import Resident, ResidentSnapshot
from jumin.registry.removed_archive import run_archive_move
from jumin.registry.services import DraftRecorded
from tests.certificates.helpers import flat, pdf_pages
from tests.certificates.test_issuance import issue
from tests.certificates.test_removed_record_notes import died
from tests.registry.test_removed_archive import BATCH_PURPOSE, after_years

pytestmark = pytest.mark.django_db


def test_1_1_5_e_an_archived_removed_record_is_copied_from_the_archive(
    family: DraftRecorded,
    clerk: User,
    reviewer: User,
    issuer: User,
    certifier: Any,
    make_clerk: Callable[..., User],
) -> None:
    child = family.atena_numbers[2]
    died(clerk, reviewer, child)
    operator = make_clerk("batch", Permission.RESIDENT_BATCH_RUN)
    assert run_archive_move(actor=operator, purpose=BATCH_PURPOSE, today=after_years(6)).moved_count == 1
    resident = Resident.objects.get(atena_number=child)
    assert resident.archive_entry is not None
    # Were the copy read from the live rows, this (out-of-band) change would show on it.
    ResidentSnapshot.objects.filter(resident=resident).update(given_name="改変")
    removed = flat(pdf_pages(issue(issuer, [child], kind=CertificateKind.REMOVED_COPY).pdf)[0])
    assert "氏名青木三奈" in removed
    assert "改変" not in removed

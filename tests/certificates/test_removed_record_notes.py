"""The 除票の写し prints the 除票の誤記訂正 notes (standard 1.1.5-c); a cancellation draft holds it back."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from jumin.accounts.models import User
from jumin.domain.certificates import CertificateKind
from jumin.registry.services import DraftRecorded, commit_change
from jumin.registry.workflows.cancellation import Cancellation, record_cancellation
from jumin.registry.workflows.death import Death, record_death
from jumin.registry.workflows.move_out import record_move_out
from jumin.registry.workflows.move_within import MoveWithin, record_move_within
from jumin.registry.workflows.removed_record_note import RemovedRecordCorrection, record_removed_record_note
from tests.certificates.helpers import flat, pdf_pages
from tests.certificates.test_issuance import issue, refused
from tests.registry.conftest import PURPOSE
from tests.registry.test_cancellation import NEW_ADDRESS
from tests.registry.test_move_out import move_out

pytestmark = pytest.mark.django_db


def died(clerk: User, reviewer: User, atena: str) -> None:
    today = timezone.localdate()
    draft = record_death(
        actor=clerk,
        purpose=PURPOSE,
        death=Death(atena_number=atena, death_date=today, notification_date=today),
    )
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)


def noted(clerk: User, atena: str, item: str, correct: str) -> None:
    record_removed_record_note(
        actor=clerk,
        purpose=PURPOSE,
        correction=RemovedRecordCorrection(
            atena_number=atena, item=item, correct_text=correct, reason="戸籍謄本により確認"
        ),
    )


def test_1_1_5_c_the_removed_record_copy_prints_the_error_and_the_correct_entry(
    family: DraftRecorded, clerk: User, reviewer: User, issuer: User, certifier: Any
) -> None:
    child = family.atena_numbers[2]
    died(clerk, reviewer, child)
    noted(clerk, child, "given_name", "美奈")
    noted(clerk, child, "honseki", "長崎県佐世保市八幡町9番")
    removed = flat(pdf_pages(issue(issuer, [child], kind=CertificateKind.REMOVED_COPY).pdf)[0])
    # The 除票 itself is as it was; the note beside it gives the 誤記 and the correct entry.
    assert "氏名青木三奈" in removed
    assert "留意事項" in removed
    assert "名「三奈」は誤記につき「美奈」と訂正（戸籍謄本により確認）" in removed
    # A note about 本籍 prints only on a copy that shows the 本籍.
    assert "八幡町9番" not in removed
    with_honseki = issue(issuer, [child], kind=CertificateKind.REMOVED_COPY, show_honseki=True)
    assert "本籍「" in flat(pdf_pages(with_honseki.pdf)[0])


def test_a_cancellation_that_restates_later_changes_holds_the_copies_back_until_committed(
    family: DraftRecorded, clerk: User, reviewer: User, issuer: User, certifier: Any
) -> None:
    head, wife, child = family.atena_numbers
    today = timezone.localdate()
    moved = record_move_within(
        actor=clerk,
        purpose=PURPOSE,
        move=MoveWithin(
            movers=[head, wife, child], address=NEW_ADDRESS, move_date=today, notification_date=today
        ),
    )
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=moved.change_id)
    left = record_move_out(actor=clerk, purpose=PURPOSE, move_out=move_out([child], planned_date=today))
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=left.change_id)
    draft = record_cancellation(
        actor=clerk,
        purpose=PURPOSE,
        cancellation=Cancellation(change_id=moved.change_id, reason="届出人の錯誤"),
    )
    # Standard 4.0.8-a: no certificate of a drafted person, the re-stated one included.
    assert refused(issuer, [child], kind=CertificateKind.REMOVED_COPY) == "certificates.pending_draft"
    assert refused(issuer, [head]) == "certificates.pending_draft"
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    removed = flat(pdf_pages(issue(issuer, [child], kind=CertificateKind.REMOVED_COPY).pdf)[0])
    assert "八幡町2番3号" not in removed  # the cancelled 転居's address is gone from the 除票

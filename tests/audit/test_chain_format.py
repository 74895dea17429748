"""Chain format version 2 stays byte-identical: a chain written by earlier code still verifies.

``fixtures/chain_v2.json`` holds entries written by ``record_event``/``record_view``/``record_results``
before the P7/P9 optimisations (awkward text, an actor id, result lists, digests). Faster writers and
verifiers must keep reproducing exactly these hashes.
"""

import json
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from jumin.audit.actions import AuditAction
from jumin.audit.chain import CHAINED_FIELDS, GENESIS_HASH, entry_hash
from jumin.audit.models import AuditChainHead, AuditEntry, AuditResultSubject
from jumin.audit.selectors import run_in_process, verify_chain
from jumin.audit.services import record_event, record_results
from tests.audit.conftest import drop_append_only_guards

pytestmark = pytest.mark.django_db

FIXTURE = Path(__file__).parent / "fixtures" / "chain_v2.json"


def _fixture() -> dict[str, Any]:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


def _load_fixture_chain() -> list[dict[str, Any]]:
    data = _fixture()
    entries = data["entries"]
    AuditEntry.objects.bulk_create(AuditEntry(**row) for row in entries)
    AuditResultSubject.objects.bulk_create(AuditResultSubject(**row) for row in data["result_subjects"])
    last = entries[-1]
    AuditChainHead.objects.filter(id=1).update(
        last_seq=last["seq"], last_hash=last["entry_hash"], last_checkpoint_us=last["created_us"]
    )
    return entries


def test_python_canonical_form_reproduces_the_stored_hashes() -> None:
    prev = GENESIS_HASH
    for row in _fixture()["entries"]:
        assert row["prev_hash"] == prev
        assert entry_hash({name: row[name] for name in CHAINED_FIELDS}, prev) == row["entry_hash"]
        prev = row["entry_hash"]


@pytest.mark.parametrize("workers", [1, 3])
def test_a_chain_written_by_earlier_code_verifies(workers: int) -> None:
    entries = _load_fixture_chain()
    verdict = verify_chain(workers=workers, run=run_in_process)
    assert verdict.intact
    assert verdict.entries == len(entries)


def test_new_entries_continue_a_chain_written_by_earlier_code() -> None:
    entries = _load_fixture_chain()
    record_event(actor=None, action=AuditAction.STAFF_LOGIN_FAIL, reason="after the fixture")
    record_results(None, "resident", ["1", "2"], "resident_counter", "atena_number")
    new = AuditEntry.objects.get(seq=len(entries) + 1)
    assert new.prev_hash == entries[-1]["entry_hash"]
    verdict = verify_chain(workers=2, run=run_in_process)
    assert verdict.intact
    assert verdict.entries == len(entries) + 2


def test_a_changed_fixture_entry_is_still_found() -> None:
    _load_fixture_chain()
    drop_append_only_guards()
    AuditEntry.objects.filter(seq=2).update(reason="区切り|文字:と 12:長さ\n改行 🀄 斉")
    assert verify_chain(workers=2, run=run_in_process).first_broken_seq == 2


def test_a_changed_result_list_of_the_fixture_is_found() -> None:
    _load_fixture_chain()
    drop_append_only_guards()
    with connection.cursor() as cursor:
        table = AuditResultSubject._meta.db_table
        cursor.execute(f"UPDATE {table} SET subject_id = %s WHERE position = 1", ["44"])  # noqa: S608
    verdict = verify_chain(workers=2, run=run_in_process)
    assert verdict.first_broken_seq == 5
    assert verdict.problem == "results"

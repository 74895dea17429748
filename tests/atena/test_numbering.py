"""統合宛名番号 (system.md M5 §1): serial and check digit, one serial per number even under concurrency."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable

import pytest
from django.db import connection, transaction

from jumin.atena.models import IntegratedNumber, IntegratedNumberCounter
from jumin.atena.numbering import SERIAL_LENGTH, issue_number, with_check_digit
from jumin.domain.checkdigits import atena_check_digit

WRITERS = 4
PER_WRITER = 10


def test_the_number_is_the_serial_and_its_check_digit() -> None:
    number = with_check_digit(1)
    assert number[:-1] == "1".zfill(SERIAL_LENGTH)
    assert number[-1] == atena_check_digit(number[:-1])
    assert len({with_check_digit(serial) for serial in range(1, 200)}) == 199


def _in_own_connection(work: Callable[[], object]) -> None:
    """Run ``work`` in a thread: its own connection, committed outside the test's transaction."""
    failures: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as error:  # reported in the test's thread
            failures.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    assert failures == []


def _forget_committed() -> None:
    with transaction.atomic():
        IntegratedNumber.objects.all().delete()
        IntegratedNumberCounter.objects.all().delete()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL")
@pytest.mark.django_db
def test_concurrent_rounds_never_issue_a_serial_twice() -> None:
    start = threading.Barrier(WRITERS)
    issued: list[str] = []
    failures: list[BaseException] = []

    def writer() -> None:
        try:
            start.wait()
            for _ in range(PER_WRITER):
                with transaction.atomic():
                    issued.append(issue_number(event_id=str(uuid.uuid4())).number)
        except BaseException as error:  # reported below, in the test's thread
            failures.append(error)
        finally:
            connection.close()

    # The writers commit in their own connections (the test's transaction cannot hold them); what they
    # committed is deleted again at the end, also in a connection of its own.
    _in_own_connection(_forget_committed)
    try:
        threads = [threading.Thread(target=writer) for _ in range(WRITERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert failures == []
        assert len(issued) == len(set(issued)) == WRITERS * PER_WRITER
        assert sorted(issued) == [with_check_digit(serial) for serial in range(1, WRITERS * PER_WRITER + 1)]
    finally:
        _in_own_connection(_forget_committed)

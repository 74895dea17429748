"""The 個人番号 never appears in logs, error pages, error reports or exception text (C-54, §4).

A known synthetic number is driven through validation errors, decryption failures, DEBUG logging
(including SQL), a failing view rendered with DEBUG=False, the error report Django would mail to the
admins, and repr/str of models and values; every captured text is scanned for the number in plain,
spaced, hyphenated and full-width form and for its 4-digit groups.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.signals import got_request_exception
from django.db import connection
from django.test import Client
from django.views.debug import ExceptionReporter
from pytest_django.fixtures import Settings

from jumin.audit.actions import AuditAction
from jumin.audit.models import AuditEntry
from jumin.crypto.individual_number import (
    DecryptionError,
    EncryptedIndividualNumber,
    blind_index,
    decrypt_individual_number,
    encrypt_individual_number,
)
from jumin.crypto.models import filter_by_individual_number
from jumin.domain.errors import DomainError
from tests.crypto.conftest import TEST_NUMBER
from tests.crypto.testapp.models import IndividualNumberTestRecord

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.crypto.testapp.urls")]

GROUPS = (TEST_NUMBER[:4], TEST_NUMBER[4:8], TEST_NUMBER[8:])
_FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
FORMS = (
    TEST_NUMBER,
    " ".join(GROUPS),
    "-".join(GROUPS),
    "\u3000".join(GROUPS),
    TEST_NUMBER.translate(_FULL_WIDTH),
    " ".join(GROUPS).translate(_FULL_WIDTH),
)
# Invalid inputs built from the test number: each still carries its digit groups.
INVALID = (
    TEST_NUMBER[:11] + str((int(TEST_NUMBER[11]) + 1) % 10),  # wrong check digit
    TEST_NUMBER[:11],  # too short
    TEST_NUMBER + "0",  # too long
    TEST_NUMBER[:6] + "x" + TEST_NUMBER[7:],  # a letter
    " ".join(GROUPS)[:-1] + "0",  # spaced, wrong check digit
)
# Source line numbers in tracebacks ("line 1234") are not data.
_LINE_REFERENCE = re.compile(r"line \d+|:\d+\b")


def assert_clean(text: str, *, where: str, groups: bool = True) -> None:
    for form in FORMS:
        assert form not in text, f"the number appears in {where}"
    if groups:
        # A group counts when it stands alone ("****9018", "1234 5678"), not inside a longer run of
        # digits such as an object id or a timestamp.
        scrubbed = _LINE_REFERENCE.sub("", text)
        for group in (*GROUPS, *(g.translate(_FULL_WIDTH) for g in GROUPS)):
            standalone = re.compile(rf"(?<![0-9０-９]){group}(?![0-9０-９])")
            assert not standalone.search(scrubbed), f"a digit group of the number appears in {where}"


def record_texts(caplog: pytest.LogCaptureFixture) -> tuple[list[str], list[str]]:
    """(messages and tracebacks, SQL statement logs). SQL carries timestamps: groups are not checked there."""
    formatter = logging.Formatter("%(levelname)s %(name)s %(message)s")
    human, sql = [], []
    for record in caplog.records:
        text = formatter.format(record)
        (sql if record.name == "django.db.backends" else human).append(text)
    return human, sql


@pytest.fixture
def debug_logging(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    caplog.set_level(logging.DEBUG)
    for name in ("django", "django.request", "django.db.backends", "jumin", "jumin.crypto"):
        caplog.set_level(logging.DEBUG, logger=name)
    connection.force_debug_cursor = True  # log every SQL statement with its parameters
    try:
        yield caplog
    finally:
        connection.force_debug_cursor = False


@pytest.fixture
def error_reports() -> Iterator[list[str]]:
    """The plain-text error report (what mail_admins sends) of every exception a request raises."""
    reports: list[str] = []

    def on_exception(sender: Any, request: Any = None, **kwargs: Any) -> None:
        exc_type, exc_value, tb = sys.exc_info()
        reporter = ExceptionReporter(request, exc_type, exc_value, tb, is_email=True)
        reports.append(reporter.get_traceback_text())

    got_request_exception.connect(on_exception)
    try:
        yield reports
    finally:
        got_request_exception.disconnect(on_exception)


def test_validation_errors_never_contain_the_number(debug_logging: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("jumin.test.leak")
    texts: list[str] = []
    record = IndividualNumberTestRecord()
    for bad in INVALID:
        for action in (encrypt_individual_number, blind_index, record.set_individual_number):
            with pytest.raises(DomainError) as caught:
                action(bad)
            texts += [str(caught.value), repr(caught.value), str(caught.value.as_dict())]
            logger.error("validation failed", exc_info=caught.value)
        with pytest.raises(DomainError) as caught:
            filter_by_individual_number(IndividualNumberTestRecord.objects.all(), bad)
        texts.append(str(caught.value))
        logger.error("search failed", exc_info=caught.value)
    for text in texts:
        assert_clean(text, where="a validation error")
    human, sql = record_texts(debug_logging)
    assert human
    for text in human:
        assert_clean(text, where="a log record")
    for text in sql:
        assert_clean(text, where="an SQL log record", groups=False)


def test_decryption_failures_never_contain_the_number(debug_logging: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("jumin.test.leak")
    encrypted = encrypt_individual_number(TEST_NUMBER)
    flipped = bytearray(encrypted.sealed)
    flipped[-1] ^= 0x80
    failures = [
        EncryptedIndividualNumber(encrypted.key_id, bytes(flipped)),  # tampered
        EncryptedIndividualNumber("dk-unknown", encrypted.sealed),  # unknown key id
    ]
    texts: list[str] = []
    for value in failures:
        with pytest.raises(DecryptionError) as caught:
            decrypt_individual_number(value)
        texts += [str(caught.value), repr(caught.value)]
        logger.error("decryption failed", exc_info=caught.value)
    with pytest.raises(DecryptionError) as caught:
        decrypt_individual_number(encrypted, purpose="another.column")  # moved to another purpose
    texts += [str(caught.value), repr(caught.value)]
    with pytest.raises(DecryptionError) as caught:
        decrypt_individual_number(TEST_NUMBER)  # plaintext where ciphertext belongs
    texts += [str(caught.value), repr(caught.value)]
    logger.error("decryption failed", exc_info=caught.value)
    for text in texts:
        assert_clean(text, where="a decryption error")
    human, _ = record_texts(debug_logging)
    for text in human:
        assert_clean(text, where="a log record")


def test_debug_logging_of_normal_use_and_rotation_never_contains_the_number(
    debug_logging: pytest.LogCaptureFixture,
) -> None:
    record = IndividualNumberTestRecord(label="logged")
    record.set_individual_number(" ".join(GROUPS))
    record.save()
    found = filter_by_individual_number(IndividualNumberTestRecord.objects.all(), TEST_NUMBER).get()
    assert found.get_individual_number() == TEST_NUMBER
    out = StringIO()
    call_command("rotate_individual_number_keys", stdout=out, stderr=out)
    call_command("rotate_individual_number_keys", "--status", stdout=out, stderr=out)
    assert IndividualNumberTestRecord.objects.get(pk=record.pk).get_individual_number() == TEST_NUMBER
    human, sql = record_texts(debug_logging)
    assert sql, "SQL statements should have been logged"
    assert any("INSERT" in text for text in sql)
    for text in [*human, out.getvalue()]:
        assert_clean(text, where="a log record or command output")
    for text in sql:
        assert_clean(text, where="an SQL log record", groups=False)


@pytest.mark.parametrize(
    ("mode", "number", "status"),
    [
        ("explode", TEST_NUMBER, 500),
        ("explode", " ".join(GROUPS), 500),
        ("explode", TEST_NUMBER.translate(_FULL_WIDTH), 500),
        ("tamper", TEST_NUMBER, 500),
        ("invalid", INVALID[0], 400),
        ("invalid", INVALID[4], 400),
        ("invalid_unhandled", INVALID[0], 500),
        ("undecorated", TEST_NUMBER, 500),
        ("undecorated", " ".join(GROUPS).translate(_FULL_WIDTH), 500),
    ],
)
def test_error_pages_and_error_reports_never_contain_the_number(
    mode: str,
    number: str,
    status: int,
    settings: Settings,
    debug_logging: pytest.LogCaptureFixture,
    error_reports: list[str],
) -> None:
    settings.DEBUG = False
    # The terminal and session guards (accounts) would refuse the anonymous request before the view runs;
    # this test is about what a failing view leaves behind, so they are left out.
    settings.MIDDLEWARE = [name for name in settings.MIDDLEWARE if not name.startswith("jumin.accounts.")]
    client = Client(raise_request_exception=False)
    url = "/crypto-test/undecorated/" if mode == "undecorated" else "/crypto-test/number/"
    response = client.post(url, {"individual_number": number, "mode": mode})
    assert response.status_code == status
    body = response.content.decode()
    assert_clean(body, where="the error page")
    assert_clean(str(response.headers), where="the response headers")
    if status == 500:
        assert len(error_reports) == 1
        assert_clean(error_reports[0], where="the error report")
        assert "individual_number" in error_reports[0]  # the POST field is listed, its value hidden
        assert "handle_number" in error_reports[0]  # the report is about the view that failed
        # The error log's audit entry (standard 10.2-b) holds the class and a fingerprint only.
        logged = AuditEntry.objects.get(action=AuditAction.SYSTEM_ERROR_RECORD)
        assert_clean(
            " ".join(str(v) for v in AuditEntry.objects.values().get(pk=logged.pk).values()),
            where="the error log",
        )
    human, sql = record_texts(debug_logging)
    request_errors = [
        r for r in debug_logging.records if r.name == "django.request" and r.levelno >= logging.ERROR
    ]
    assert bool(request_errors) == (status == 500)
    assert all(r.exc_info for r in request_errors)  # the traceback was logged, and scanned below
    for text in human:
        assert_clean(text, where="a log record")
    for text in sql:
        assert_clean(text, where="an SQL log record", groups=False)


def test_a_middleware_failure_report_hides_the_posted_number(
    settings: Settings, error_reports: list[str]
) -> None:
    # Before the view runs, no sensitive_post_parameters applies: the reporter filter must hide the field.
    settings.DEBUG = False
    settings.MIDDLEWARE = ["tests.crypto.testapp.views.FailingMiddleware", *settings.MIDDLEWARE]
    client = Client(raise_request_exception=False)
    response = client.post(
        "/crypto-test/number/", {"individual_number": TEST_NUMBER, "note": " ".join(GROUPS)}
    )
    assert response.status_code == 500
    assert len(error_reports) == 1
    assert "FailingMiddleware" in error_reports[0]
    assert_clean(error_reports[0], where="the error report")
    assert_clean(response.content.decode(), where="the error page")


def test_repr_and_str_of_models_and_values_never_contain_the_number() -> None:
    record = IndividualNumberTestRecord(label="shown")
    record.set_individual_number(TEST_NUMBER)
    record.save()
    reloaded = IndividualNumberTestRecord.objects.get(pk=record.pk)
    value = reloaded.individual_number
    texts = [
        repr(record),
        str(record),
        repr(reloaded),
        str(reloaded),
        repr(value),
        str(value),
        f"{value}",
        repr(IndividualNumberTestRecord.objects.all()),
        str(reloaded.__dict__),
        repr(encrypt_individual_number(TEST_NUMBER)),
    ]
    for text in texts:
        assert_clean(text, where="a repr or str")

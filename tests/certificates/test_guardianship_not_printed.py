"""The 成年被後見人 flag (std 1.1.1-c) is held but never printed on a 住民票の写し."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.certificates.services import issue_certificate
from jumin.registry.programs import record_program
from jumin.registry.services import DraftRecorded
from tests.certificates.conftest import CERT_PURPOSE, options_for, own_request
from tests.certificates.helpers import flat, pdf_pages
from tests.registry.conftest import PURPOSE
from tests.registry.test_guardianship import guardianship

pytestmark = pytest.mark.django_db


def test_a_copy_of_a_person_under_guardianship_does_not_print_it(
    family: DraftRecorded, issuer: User, certifier: object, make_clerk: Callable[..., User]
) -> None:
    owner = make_clerk("guardianship", Permission.RESIDENT_VIEW, Permission.PROGRAM_ADULT_GUARDIANSHIP_EDIT)
    head = family.atena_numbers[0]
    record_program(actor=owner, purpose=PURPOSE, update=guardianship(head))
    issued = issue_certificate(
        actor=issuer, purpose=CERT_PURPOSE, request=own_request(), options=options_for([head])
    )
    text = "".join(flat(page) for page in pdf_pages(issued.pdf))
    assert "住民票の写し" in text
    assert "後見" not in text

"""The registry ↔ CS comparison (standard 7.1.1.2-a; controls.md C-68): reads only, finds each kind."""

from __future__ import annotations

from collections.abc import Callable
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from jumin.accounts.authorization import MASK, AccessRefused
from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry, AuditResultSubject
from jumin.jukinet.cs.models import CsIdentity, CsIdentityVersion
from jumin.registry.cs_comparison import CS_ONLY, ITEMS, MISSING, OTHER_SNAPSHOT, compare_with_cs
from jumin.registry.models import ResidentSnapshot
from jumin.registry.services import DraftRecorded
from tests.helpers.permission_matrix import assert_permission_triple
from tests.jukinet.cs.factories import resident_code
from tests.registry.conftest import PURPOSE, current, logged_in
from tests.registry.test_cs_link import code_pool, family

pytestmark = pytest.mark.django_db
__all__ = ["code_pool", "family"]  # fixtures, imported for use here


@pytest.fixture
def operator(make_clerk: Callable[..., User]) -> User:
    return make_clerk("batch_operator", Permission.RESIDENT_BATCH_RUN, Permission.FIELD_JUMINHYO_CODE_VIEW)


def test_a_registry_and_cs_in_step_compare_equal_and_the_run_is_audited(
    family: DraftRecorded, operator: User
) -> None:
    result = compare_with_cs(actor=operator, purpose=PURPOSE)
    assert (result.compared, result.matching, result.difference_count, result.differences) == (3, 3, 0, ())
    entry = AuditEntry.objects.get(action="cs:identity:compare")
    assert entry.reason == "compared 3 differing 0 cs_only 0 no_code 0"


def test_each_kind_of_difference_is_found_and_nothing_is_written(
    family: DraftRecorded, operator: User
) -> None:
    head, wife, child = family.atena_numbers
    head_code, wife_code, child_code = (current(a).juminhyo_code for a in (head, wife, child))
    CsIdentityVersion.objects.filter(pk=CsIdentity.objects.get(resident_code=head_code).current_id).update(
        name="青木　太朗"
    )
    CsIdentityVersion.objects.filter(pk=CsIdentity.objects.get(resident_code=wife_code).current_id).update(
        request_number=f"{wife}-9"
    )
    new_code = resident_code(900)  # as if the registry's code had changed without the CS being told
    ResidentSnapshot.objects.filter(pk=current(child).pk).update(juminhyo_code=new_code)
    versions = CsIdentityVersion.objects.count()

    result = compare_with_cs(actor=operator, purpose=PURPOSE)

    found = {(d.atena_number, d.resident_code, d.kind) for d in result.differences}
    assert found == {
        (head, head_code, ITEMS),
        (wife, wife_code, OTHER_SNAPSHOT),
        (child, new_code, MISSING),
        ("", child_code, CS_ONLY),
    }
    assert next(d.detail for d in result.differences if d.kind == ITEMS) == "氏名"
    assert (result.compared, result.matching, result.difference_count) == (3, 0, 4)
    assert CsIdentityVersion.objects.count() == versions
    entry = AuditEntry.objects.get(action="cs:identity:compare")
    subjects = set(AuditResultSubject.objects.filter(entry=entry).values_list("subject_id", flat=True))
    assert subjects == {head, wife, child}


def test_the_comparison_needs_the_batch_permission_and_the_command_prints_the_lines(
    family: DraftRecorded, operator: User, make_clerk: Callable[..., User]
) -> None:
    with pytest.raises(AccessRefused):
        compare_with_cs(actor=make_clerk("viewer", Permission.RESIDENT_VIEW), purpose=PURPOSE)
    with pytest.raises(CommandError, match="運用アカウント"):
        call_command("cs_compare_registry", "--operator", "nobody")
    head = family.atena_numbers[0]
    CsIdentityVersion.objects.filter(
        pk=CsIdentity.objects.get(resident_code=current(head).juminhyo_code).current_id
    ).update(address="どこか")
    out = StringIO()
    call_command("cs_compare_registry", "--operator", "batch_operator", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0] == "照合 3人: 一致 2人、相違 1件（住民票コードなし 0人）。"
    assert lines[1].split("\t") == [head, current(head).juminhyo_code, ITEMS, "住所"]


def test_the_screen_shows_the_counts_and_needs_the_batch_permission(
    family: DraftRecorded, operator: User, make_staff: Callable[..., object]
) -> None:
    screen = reverse("registry:cs_comparison")
    assert_permission_triple(
        make_staff, "post", screen, Permission.RESIDENT_BATCH_RUN, data={"purpose": PURPOSE}
    )
    page = logged_in(operator).post(screen, {"purpose": PURPOSE}).content.decode()
    assert "照合 3人：一致 3人、相違 0件" in page
    assert "違いはありません" in page


def test_without_the_field_grant_the_codes_are_masked(
    family: DraftRecorded, make_clerk: Callable[..., User]
) -> None:
    head = family.atena_numbers[0]
    CsIdentityVersion.objects.filter(
        pk=CsIdentity.objects.get(resident_code=current(head).juminhyo_code).current_id
    ).update(address="どこか")
    plain = make_clerk("plain_operator", Permission.RESIDENT_BATCH_RUN)
    (difference,) = compare_with_cs(actor=plain, purpose=PURPOSE).differences
    assert (difference.atena_number, difference.resident_code, difference.kind) == (head, MASK, ITEMS)

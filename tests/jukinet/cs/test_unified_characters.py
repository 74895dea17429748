"""住基ネット統一文字 at the CS (standard 7.1.1.1-e): notices converted, or held as CS未連携 with a remedy."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.domain.errors import DomainError
from jumin.domain.unified_characters import NOT_UNIFIED_CODE
from jumin.jukinet.common.notice import notice_from_payload
from jumin.jukinet.cs import services
from jumin.jukinet.cs.models import CsIdentity, PendingNotice
from jumin.jukinet.cs.models_characters import UnifiedCharacterRegistration
from jumin.jukinet.cs.worklists import UNLINKED_EXPLANATIONS, worklists
from tests.helpers.accounts import grant_permissions, make_user
from tests.jukinet.cs.factories import update

pytestmark = pytest.mark.django_db


@pytest.fixture
def master_editor(db: None) -> User:
    user = make_user(username="gaiji01")
    grant_permissions(user, [Permission.MASTERS_EDIT])
    return user


def queued_notice(resident_code: str) -> dict[str, object]:
    version = PendingNotice.objects.get(identity__resident_code=resident_code).version
    return services.notice_of(version).as_payload()


def test_the_notice_carries_the_address_in_unified_characters_and_the_cs_file_keeps_the_entry() -> None:
    request = update(address="長崎県佐世保市八幡町１\uff5e２")
    services.accept_update(request, actor=None)
    assert CsIdentity.objects.get().current.address == request.address
    notice = queued_notice(request.resident_code)
    assert notice["address"] == "長崎県佐世保市八幡町１\u301c２"
    assert notice_from_payload(notice).address_gaiji_count == 0


def test_a_name_with_an_unregistered_gaiji_is_refused_and_nothing_is_stored() -> None:
    request = update(name="\U00020bb7田\u3000太郎")
    with pytest.raises(DomainError) as raised:
        services.check_update(request)
    assert (raised.value.code, raised.value.field) == (NOT_UNIFIED_CODE, "name")
    assert "1文字目" in raised.value.reason
    assert "\U00020bb7" not in raised.value.reason
    assert NOT_UNIFIED_CODE in UNLINKED_EXPLANATIONS
    assert not CsIdentity.objects.exists()


def test_a_registered_gaiji_is_sent_unchanged_and_counted(master_editor: User) -> None:
    call_command(
        "cs_register_character",
        "--operator",
        master_editor.username,
        "--character",
        "U+20BB7",
        "--code",
        "J+0000TEST",
        stdout=StringIO(),
    )
    assert AuditEntry.objects.filter(action="cs:unified_character:register").count() == 1
    request = update(name="\U00020bb7田\u3000太郎")
    services.accept_update(request, actor=None)
    notice = queued_notice(request.resident_code)
    assert (notice["name"], notice["name_gaiji_count"], notice["gaiji_flag"]) == (request.name, 1, True)


def test_registration_refuses_a_standard_character_a_duplicate_and_a_clerk_without_rights(
    master_editor: User,
) -> None:
    def register(user: User, entry: str) -> None:
        call_command(
            "cs_register_character",
            "--operator",
            user.username,
            "--character",
            entry,
            "--code",
            "J+1",
            stdout=StringIO(),
        )

    with pytest.raises(CommandError, match="登録は不要"):
        register(master_editor, "U+9AD8")  # 高 is in JIS X 0208
    register(master_editor, "U+9AD9")
    with pytest.raises(CommandError, match="すでに登録"):
        register(master_editor, "U+9AD9")
    with pytest.raises(CommandError):
        register(make_user(username="clerk77"), "U+8FBB U+E0100")
    assert list(UnifiedCharacterRegistration.objects.values_list("character", flat=True)) == ["\u9ad9"]


def test_the_unlinked_list_tells_the_clerk_what_to_do_about_a_held_notice() -> None:
    operator = make_user(username="csop31")
    grant_permissions(operator, [Permission.CS_CONSISTENCY])
    services.record_unlinked([("12345-1", NOT_UNIFIED_CODE, "name"), ("12345-2", "other.code", "sex")])
    rows = {row.request_number: row for row in worklists(actor=operator, purpose="cs_operator").unlinked}
    assert "同定" in rows["12345-1"].explanation
    assert "register-character" in rows["12345-1"].explanation
    assert rows["12345-2"].explanation == ""

"""Field hiding on every clerk screen and output that shows a person (standard 10.4-a; controls.md C-10).

One table of screens; for each field permission the sweep visits every screen as a clerk without it
and asserts the value is absent, then as a clerk with it and asserts the value is present wherever
the screen shows that item. A new person screen is added to ``SCREENS`` once, not tested by hand.

Files and media, found by grep over src/jumin (2026-11-24) for ``text/csv``, ``application/pdf``,
``application/octet-stream``, ``Content-Disposition`` and ``csv.writer``:

* EUC CSV, XML and PDF (registry/euc; screen and ``/api/registry/euc``): in ``SCREENS``; a definition
  naming a hidden item is refused, and (below) a result is withheld once a grant of its items is gone.
* 法30条の50 確認票 (upload preview, screen and API, and a received notice's sheet): below.
* 市町村通知 to 出入国在留管理庁 (views_immigration, ``municipality-notices-N.csv``): not masked, by
  design: a statutory notice whose items the law fixes (住基法30条の50), as the certificates below; since
  it carries the 在留資格 items, writing it (export and 再送; function, API, screen) needs
  ``field:residence_status:view``, refused and audited otherwise (below).
* Certificates (certificates/views, 広域交付 PDF of jukinet/cs/views): printed as the law and the
  request say, not by the clerk's grants; their preview (``certificate-preview``) is in ``SCREENS``.
* 附票記載事項通知: the ``cs fuhyo-notices`` CSV and screens mask through
  ``jukinet/cs/fuhyo_notices.items_as_seen`` (tests/jukinet/cs/test_fuhyo_notices.py).
* The 住基ネット CS screens and API: tests/jukinet/cs/test_field_hiding_sweep.py.
* The prefecture node's 一括提供 CSV and 開示 PDF (jukinet/prefecture/provision): statutory provision
  to a body the law names and disclosure to the person themself, not masked by the clerk's grants;
  not swept here.
* Not person items: the audit log CSV (audit/) and the grant and staff CSV (web/views_rights).

Person screens with their own masking, swept below each with its own data (``_sweep``): the 再転入 除票
list and prefill, the review of a 住民票コード or 個人番号 change, the 特例転入 starting data (which showed
本籍・筆頭者 and the 在留資格 items to any clerk until 2026-11-24: now ``special_moves._as_seen``; the
住民票コード there is the clerk's own input, so it is shown back) and the 更新対象者一覧.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from jumin.accounts.authorization import AccessRefused
from jumin.accounts.models import Grant, User
from jumin.accounts.permissions import Permission as P  # noqa: N817 (keeps the screen table readable)
from jumin.audit.actions import AuditAction
from jumin.audit.models import AuditEntry
from jumin.domain.resident import ResidentKind, Sex
from jumin.jukinet.cs import special_move_in
from jumin.messaging.testing import TestFederation
from jumin.registry import immigration_sending
from jumin.registry.euc import services as euc_services
from jumin.registry.euc.writers import OutputFormat
from jumin.registry.models_euc import EucRun
from jumin.registry.models_immigration import MunicipalityNotice
from jumin.registry.services import DraftRecorded, record_move_in
from jumin.registry.workflows import immigration_receipts, number_changes
from tests.certificates.conftest import certifier, signing_keys  # noqa: F401 (fixtures)
from tests.certificates.helpers import flat, pdf_pages
from tests.registry.conftest import PURPOSE, current, family_move_in, logged_in, person
from tests.registry.test_immigration_notices import RENEWAL, foreigner, notice, notice_file
from tests.registry.test_move_in_individual_number import HEAD_NUMBER, WIFE_NUMBER
from tests.registry.test_renewal_targets import SASEBO as RENEWAL_SASEBO
from tests.registry.test_renewal_targets import _national_card as renewal_national_card
from tests.registry.test_renewal_targets import _registry_card as renewal_registry_card
from tests.registry.test_renewal_targets import family as renewal_family
from tests.registry.test_renewal_targets import number_clerk
from tests.registry.test_returning_move_in import BORN as RETURNING_BORN
from tests.registry.test_returning_move_in import leave
from tests.registry.test_special_moves import FOREIGN_ITEMS as SPECIAL_FOREIGN_ITEMS
from tests.registry.test_special_moves import NAGASAKI, card_holder_sent_over, counter_clerk
from tests.registry.test_special_moves import PIN as SPECIAL_PIN
from tests.registry.test_special_permanent_certificate import NEW_NUMBER as CERTIFICATE_NEW_NUMBER
from tests.registry.test_special_permanent_certificate import enter as certificate_entry
from tests.registry.test_special_permanent_certificate import handover as certificate_handover
from tests.registry.test_special_permanent_certificate import holder as special_permanent_holder

pytestmark = pytest.mark.django_db
__all__ = ["counter_clerk", "foreigner", "number_clerk", "renewal_family"]  # fixtures, imported for use here

HONSEKI = "長崎県佐世保市八幡町1番地"
RESIDENCE_STATUS = "技術・人文知識・国際業務"


@dataclass(frozen=True)
class People:
    """A committed household (Japanese 世帯主, foreign 妻) and a pending draft of another household."""

    head: str
    foreign: str
    household: str
    draft_change_id: int
    code: str


@dataclass(frozen=True)
class Screen:
    """One screen or endpoint: how to call it, the permissions it needs, the fields it shows."""

    name: str
    permissions: tuple[P, ...]
    call: Callable[[Any, People, str], str]  # (client, people, subject atena) -> response text
    shows: frozenset[P]
    shown_person: str = ""  # text proving the person was shown; the subject's surname when empty


def _post(url: str, **data: Any) -> Callable[[Any, People, str], str]:
    def call(client: Any, people: People, atena: str) -> str:
        values = {key: (value(people, atena) if callable(value) else value) for key, value in data.items()}
        return str(client.post(reverse(url), data={"purpose": PURPOSE, **values}).content.decode())

    return call


def _api(path: str) -> Callable[[Any, People, str], str]:
    def call(client: Any, people: People, atena: str) -> str:
        body = json.dumps({"purpose": PURPOSE, "atena_number": atena})
        response = client.post(path, data=body, content_type="application/json")
        # Unescaped, so a leaked value is found whatever the JSON encoder did with non-ASCII text.
        return json.dumps(response.json(), ensure_ascii=False)

    return call


def _api_search(client: Any, people: People, atena: str) -> str:
    body = json.dumps({"purpose": PURPOSE, "criteria": {"atena_number": atena}})
    response = client.post("/api/registry/search", data=body, content_type="application/json")
    return json.dumps(response.json(), ensure_ascii=False)


def _certificate_confirm(client: Any, people: People, atena: str) -> str:
    data = {
        "purpose": "certificate",
        "atena_numbers": atena,
        "kind": "copy",
        "layout": "personal",
        "whole_household": "0",
        "show_honseki": "on",
        "show_foreign_items": "on",
        "show_juminhyo_code": "on",
        "copies": "1",
        "requester_class": "self",
        "identity_check": "mynumber_card",
        "step": "confirm",
    }
    return str(client.post(reverse("certificates:issue"), data=data).content.decode())


# Every hidden item the EUC catalogue has (the 個人番号 is never extractable, C-60), for one person.
EUC_ITEMS = ["atena_number", "surname", "honseki", "hittousha", "juminhyo_code", "residence_status"]


def _euc_download(client: Any, run_id: int) -> Any:
    body = json.dumps({"purpose": PURPOSE, "run_id": run_id})
    return client.post("/api/registry/euc/runs/download", data=body, content_type="application/json")


def _euc_file(output_format: str) -> Callable[[Any, People, str], str]:
    """The EUC file of one person through the API (request, the job, download), as text.

    A definition naming an item the clerk may not see is refused: the answer is the refusal.
    """

    def call(client: Any, people: People, atena: str) -> str:
        definition = {
            "items": EUC_ITEMS,
            "conditions": [{"item": "atena_number", "op": "eq", "value": atena}],
        }
        body = {"purpose": PURPOSE, "definition": definition, "output_format": output_format}
        queued = client.post("/api/registry/euc/runs", data=json.dumps(body), content_type="application/json")
        if queued.status_code != 202:
            return str(queued.content.decode())
        run_id = queued.json()["run_id"]
        if EucRun.objects.get(pk=run_id).state == EucRun.State.QUEUED:
            euc_services.run_extraction(run_id)  # the test task backend runs jobs on commit only
        answer = _euc_download(client, run_id)
        if output_format == "pdf" and answer.status_code == 200:
            return flat("".join(pdf_pages(answer.content)))
        return str(answer.content.decode("utf-8-sig"))

    return call


ALL = frozenset(
    {
        P.FIELD_HONSEKI_VIEW,
        P.FIELD_JUMINHYO_CODE_VIEW,
        P.FIELD_RESIDENCE_STATUS_VIEW,
        P.FIELD_INDIVIDUAL_NUMBER_VIEW,
        P.INDIVIDUAL_NUMBER_ACCESS,
    }
)
# The record screens never show the 個人番号 (only the card screen does, on request).
RECORD = frozenset({P.FIELD_HONSEKI_VIEW, P.FIELD_JUMINHYO_CODE_VIEW, P.FIELD_RESIDENCE_STATUS_VIEW})
HONSEKI_CODE = frozenset({P.FIELD_HONSEKI_VIEW, P.FIELD_JUMINHYO_CODE_VIEW})  # no 在留資格 in the 異動履歴
SCREENS = [
    Screen("record", (P.RESIDENT_VIEW,), _post("registry:lookup", atena_number=lambda p, a: a), RECORD),
    Screen(
        "timeline", (P.RESIDENT_VIEW,), _post("registry:timeline", atena_number=lambda p, a: a), HONSEKI_CODE
    ),
    Screen(
        "household",
        (P.RESIDENT_VIEW,),
        _post("registry:household_inquiry", household_number=lambda p, a: p.household),
        frozenset({P.FIELD_JUMINHYO_CODE_VIEW}),
    ),
    Screen(
        "draft-review",
        (P.RESIDENT_COMMIT, P.RESIDENT_VIEW),
        lambda client, people, atena: str(
            client.post(
                reverse("registry:draft", args=[people.draft_change_id]), {"purpose": PURPOSE, "show": "1"}
            ).content.decode()
        ),
        frozenset(),
        "佐藤",
    ),
    Screen(
        "review-confirm",
        (P.RESIDENT_COMMIT, P.RESIDENT_VIEW),
        _post("registry:review_confirm", change_ids=lambda p, a: str(p.draft_change_id)),
        frozenset({P.FIELD_HONSEKI_VIEW}),
        "佐藤",
    ),
    Screen(
        "card-status",
        (P.RESIDENT_VIEW,),
        _post("registry:cards", atena_number=lambda p, a: a, with_individual_number="on"),
        frozenset({P.INDIVIDUAL_NUMBER_ACCESS}),
        "カード運用状況",
    ),
    Screen(
        "programs",
        (P.RESIDENT_VIEW,),
        _post("registry:programs", atena_number=lambda p, a: a),
        frozenset(),
        "現在の資格",
    ),
    Screen(
        "cancellation-history",
        (P.RESIDENT_RECORD, P.RESIDENT_VIEW),
        _post("registry:cancellation", atena_number=lambda p, a: a, show="1"),
        frozenset(),
        "国内転入",
    ),
    Screen(
        "search-list",
        (P.RESIDENT_SEARCH,),
        _post("registry:search", atena_number=lambda p, a: a, name_mode="exact"),
        frozenset(),
    ),
    Screen("api-search", (P.RESIDENT_SEARCH,), _api_search, frozenset()),
    Screen(
        "certificate-preview", (P.CERTIFICATE_ISSUE,), _certificate_confirm, frozenset(), "交付内容の確認"
    ),
    Screen("api-lookup", (P.RESIDENT_VIEW,), _api("/api/registry/residents/lookup"), RECORD),
    Screen("api-history", (P.RESIDENT_VIEW,), _api("/api/registry/residents/history"), RECORD),
    Screen("api-timeline", (P.RESIDENT_VIEW,), _api("/api/registry/inquiry/timeline"), HONSEKI_CODE),
    *(Screen(f"euc-{fmt}", (P.EUC_EXTRACT,), _euc_file(fmt), RECORD) for fmt in ("csv", "xml", "pdf")),
]

FIELDS: dict[P, str] = {
    P.FIELD_HONSEKI_VIEW: "本籍",
    P.FIELD_JUMINHYO_CODE_VIEW: "住民票コード",
    P.FIELD_RESIDENCE_STATUS_VIEW: "在留資格",
    # 個人番号 is shown only beside 特定個人情報アクセス権限 (C-9): the sweep keeps the field permission
    # and withdraws the access, the stricter of the two.
    P.INDIVIDUAL_NUMBER_ACCESS: "個人番号",
}


@pytest.fixture
def people(
    make_clerk: Callable[..., User], code_pool: list[str], commit: Callable[[DraftRecorded], DraftRecorded]
) -> People:
    wife = person(
        "グエン", "アン", "グエン", "アン", relationship="妻", sex=Sex.FEMALE, kind=ResidentKind.FOREIGN
    )
    clerk = make_clerk("maker_no", P.RESIDENT_RECORD, P.RESIDENT_VIEW, P.INDIVIDUAL_NUMBER_ACCESS)
    move_in = family_move_in(members=[person(), wife], individual_numbers=(HEAD_NUMBER, WIFE_NUMBER))
    household = commit(record_move_in(actor=clerk, purpose=PURPOSE, move_in=move_in))
    pending = record_move_in(
        actor=clerk,
        purpose=PURPOSE,
        move_in=family_move_in(
            members=[
                person("佐藤", "一郎", "サトウ", "イチロウ"),
                person(
                    "佐藤",
                    "ミン",
                    "サトウ",
                    "ミン",
                    relationship="妻",
                    sex=Sex.FEMALE,
                    kind=ResidentKind.FOREIGN,
                ),
            ]
        ),
    )
    head, foreign = household.atena_numbers
    snapshot = current(head)
    return People(
        head=head,
        foreign=foreign,
        household=snapshot.household.number,
        draft_change_id=pending.change_id,
        code=snapshot.juminhyo_code,
    )


def _value(field: P, people: People) -> tuple[str, str]:
    """The subject's 宛名番号 and the text that must not leak for ``field``."""
    if field is P.FIELD_HONSEKI_VIEW:
        return people.head, HONSEKI
    if field is P.FIELD_JUMINHYO_CODE_VIEW:
        return people.head, people.code
    if field is P.INDIVIDUAL_NUMBER_ACCESS:
        return people.head, HEAD_NUMBER
    return people.foreign, RESIDENCE_STATUS


@pytest.mark.parametrize("field", list(FIELDS), ids=[f.value for f in FIELDS])
@pytest.mark.usefixtures("certifier")
@pytest.mark.parametrize("screen", SCREENS, ids=[s.name for s in SCREENS])
def test_a_field_is_shown_only_to_a_clerk_holding_its_permission(
    screen: Screen, field: P, people: People, make_clerk: Callable[..., User]
) -> None:
    """Absent on every screen without the permission; present with it wherever the screen shows it."""
    atena, secret = _value(field, people)
    others = tuple(ALL - {field})
    without = logged_in(make_clerk(f"no-{screen.name}", *screen.permissions, *others))
    page = screen.call(without, people, atena)
    assert secret not in page, f"{screen.name} shows {FIELDS[field]} without {field.value}"
    entitled = logged_in(make_clerk(f"with-{screen.name}", *screen.permissions, *ALL))
    page = screen.call(entitled, people, atena)
    # The screen did show the person, so the absence above is not a refusal page.
    assert (screen.shown_person or ("青木" if atena == people.head else "グエン")) in page
    if field in screen.shows:
        assert secret in page


def test_an_euc_file_is_withheld_once_a_field_grant_of_its_items_is_withdrawn(
    people: People, make_clerk: Callable[..., User]
) -> None:
    """The file keeps what the items showed at the run: a withdrawn grant (C-10) refuses its download."""
    clerk = make_clerk("euc-withdrawn", P.EUC_EXTRACT, P.FIELD_HONSEKI_VIEW)
    client = logged_in(clerk)
    definition = {
        "items": ["atena_number", "honseki"],
        "conditions": [{"item": "atena_number", "op": "eq", "value": people.head}],
    }
    run_id = euc_services.request_extraction(
        actor=clerk, purpose=PURPOSE, raw=definition, output_format=OutputFormat.CSV
    )
    euc_services.run_extraction(run_id)
    assert HONSEKI in _euc_download(client, run_id).content.decode("utf-8-sig")
    Grant.objects.filter(user=clerk).update(permissions=[P.EUC_EXTRACT.value])
    withheld = _euc_download(client, run_id)
    assert withheld.status_code == 403
    assert HONSEKI not in withheld.content.decode()
    refused = AuditEntry.objects.get(action=AuditAction.EUC_RESULT_DOWNLOAD, outcome="refused")
    assert refused.outcome_reason


# --- the 確認票 of a 法30条の50 notice: the record's items before the change --------------------------

STAY_EXPIRY_BEFORE = (
    "2029-03-31"  # the 在留期間の満了の日 on the record of test_immigration_notices.foreigner
)


def _notice_content() -> str:
    return notice_file(notice("N0001", **RENEWAL))


def _preview_api(client: Any) -> str:
    body = json.dumps({"purpose": PURPOSE, "content": _notice_content()})
    answer = client.post(
        "/api/registry/foreign/immigration-notices/preview", data=body, content_type="application/json"
    )
    return json.dumps(answer.json(), ensure_ascii=False)


def _preview_screen(client: Any) -> str:
    upload = SimpleUploadedFile("notices.csv", _notice_content().encode(), content_type="text/csv")
    page = client.post(reverse("registry:immigration_notices"), {"purpose": PURPOSE, "notice_file": upload})
    return str(page.content.decode())


def _received_sheet(client: Any) -> str:
    form = {"purpose": PURPOSE, "notice_id": "N0001", "sheet": "1"}
    return str(client.post(reverse("registry:received_immigration_notices"), form).content.decode())


@pytest.mark.parametrize(
    "call", [_preview_api, _preview_screen, _received_sheet], ids=["api", "screen", "received"]
)
def test_the_notice_sheet_shows_the_stay_items_only_with_their_grant(
    call: Callable[[Any], str], foreigner: str, clerk: User, make_clerk: Callable[..., User]
) -> None:
    """The 確認票 compares the record with the notice: the record's 在留 items are hidden items (C-10)."""
    immigration_receipts.receive_immigration_notices(
        actor=clerk, purpose=PURPOSE, content=_notice_content(), auto_import=False
    )
    sheet_clerk = (P.RESIDENT_RECORD, P.RESIDENT_VIEW)
    without = logged_in(make_clerk("sheet-no", *sheet_clerk, *(ALL - {P.FIELD_RESIDENCE_STATUS_VIEW})))
    page = call(without)
    assert "在留期間の満了の日" in page  # the sheet was shown
    assert STAY_EXPIRY_BEFORE not in page
    entitled = logged_in(make_clerk("sheet-with", *sheet_clerk, *ALL))
    assert STAY_EXPIRY_BEFORE in call(entitled)


# --- the 特別永住者証明書's number and expiry: hidden with the 在留資格 (standard 4.5.7-b) ----------------

CERTIFICATE_SCREENS = [
    screen
    for screen in SCREENS
    if screen.name in {"record", "api-lookup", "api-history", "timeline", "api-timeline"}
]


@pytest.mark.parametrize("screen", CERTIFICATE_SCREENS, ids=[s.name for s in CERTIFICATE_SCREENS])
def test_the_certificate_number_and_expiry_are_shown_only_with_the_residence_status_grant(
    screen: Screen,
    clerk: User,
    code_pool: list[str],
    commit: Callable[[DraftRecorded], DraftRecorded],
    make_clerk: Callable[..., User],
) -> None:
    """The record, the JSON lookup and the 異動履歴 mask them through ``mask`` without the grant (C-10)."""
    holder = special_permanent_holder(clerk, commit)
    commit(certificate_entry(clerk, holder))
    secrets = (CERTIFICATE_NEW_NUMBER, certificate_handover(holder).expiry.isoformat())  # type: ignore[union-attr]
    others = tuple(ALL - {P.FIELD_RESIDENCE_STATUS_VIEW})
    without = screen.call(
        logged_in(make_clerk(f"spc-no-{screen.name}", *screen.permissions, *others)), None, holder
    )
    assert "KIM" in without  # the person was shown
    assert not [secret for secret in secrets if secret in without]
    entitled = screen.call(
        logged_in(make_clerk(f"spc-with-{screen.name}", *screen.permissions, *ALL)), None, holder
    )
    assert all(secret in entitled for secret in secrets)


# --- person screens with their own masking: 再転入, 番号の変更, 特例転入, 更新対象者一覧 ---------------


def _sweep(
    make_clerk: Callable[..., User],
    name: str,
    permissions: tuple[P, ...],
    call: Callable[[Any], str],
    secrets: dict[P, str],
    shows: frozenset[P],
    shown_person: str,
) -> None:
    """Each field: absent for a clerk without its permission, present with it where the screen shows it."""
    for field, secret in secrets.items():
        page = call(logged_in(make_clerk(f"no-{name}-{field.value}", *permissions, *(ALL - {field}))))
        assert shown_person in page, f"{name} did not show the person"
        assert secret not in page, f"{name} shows {FIELDS[field]} without {field.value}"
        page = call(logged_in(make_clerk(f"with-{name}-{field.value}", *permissions, *ALL)))
        assert shown_person in page
        if field in shows:
            assert secret in page, f"{name} hides {FIELDS[field]} from a clerk holding {field.value}"


@pytest.fixture
def removed_people(people: People, clerk: User, reviewer: User) -> People:
    """The committed household of ``people`` moved out: 除票 a 再転入 starts from."""
    leave(clerk, reviewer, (people.head, people.foreign))
    return people


def _returning(atena_field: str) -> Callable[[People, str, str], Callable[[Any], str]]:
    """The 再転入 lookup (the list) or the prefill of the 転入 screen, for the person named ``name``."""

    def bind(people: People, name: str, atena: str) -> Callable[[Any], str]:
        def call(client: Any) -> str:
            lookup = {
                "returning-purpose": PURPOSE,
                "returning-name": name,
                "returning-birth_date": RETURNING_BORN.isoformat(),
            }
            extra = {"find_returning": "1"} if atena_field == "list" else {"prefill_returning": atena}
            return str(client.post("/registry/move-in/", {**lookup, **extra}).content.decode())

        return call

    return bind


@pytest.mark.parametrize(
    ("screen", "shows"),
    [
        ("list", frozenset({P.FIELD_JUMINHYO_CODE_VIEW})),
        ("prefill", frozenset({P.FIELD_HONSEKI_VIEW, P.FIELD_RESIDENCE_STATUS_VIEW})),
    ],
)
def test_the_returning_lookup_and_prefill_mask_each_field(
    screen: str, shows: frozenset[P], removed_people: People, make_clerk: Callable[..., User]
) -> None:
    """再転入 (standard 4.1.1.2-b): the 除票 list and the prefill of the 転入 form (registry.returning)."""
    head = _returning(screen)(removed_people, "青木 太郎", removed_people.head)
    wife = _returning(screen)(removed_people, "グエン アン", removed_people.foreign)
    permissions = (P.RESIDENT_RECORD, P.RESIDENT_VIEW)
    secrets = {field: secret for field, secret in _secrets(removed_people).items() if field in FIELDS}
    status = secrets.pop(P.FIELD_RESIDENCE_STATUS_VIEW)
    _sweep(make_clerk, f"returning-{screen}", permissions, head, secrets, shows, "青木")
    _sweep(
        make_clerk,
        f"returning-{screen}-foreign",
        permissions,
        wife,
        {P.FIELD_RESIDENCE_STATUS_VIEW: status},
        shows,
        "グエン",
    )


def _secrets(people: People) -> dict[P, str]:
    return {field: _value(field, people)[1] for field in FIELDS}


@pytest.mark.parametrize("number", ["resident_code", "individual_number"])
def test_a_number_change_draft_masks_each_field_on_review(
    number: str, people: People, make_clerk: Callable[..., User]
) -> None:
    """番号の変更 (住民票コード・個人番号): the review screen of the draft (the entry screen answers with
    the draft's numbers only; the new number exists only after the 本登録)."""
    service = (
        number_changes.record_resident_code_change
        if number == "resident_code"
        else number_changes.record_individual_number_change
    )
    maker = make_clerk("number-maker", P.RESIDENT_RECORD, P.RESIDENT_VIEW, P.INDIVIDUAL_NUMBER_ACCESS)
    draft = service(
        actor=maker,
        purpose=PURPOSE,
        request=number_changes.NumberChangeRequest(
            atena_number=people.head,
            basis=number_changes.ChangeBasis.EX_OFFICIO,
            requested_on=timezone.localdate(),
            grounds="漏えいのおそれ（試験）",
        ),
    )

    def review(client: Any) -> str:
        form = {"purpose": PURPOSE, "change_ids": str(draft.change_id)}
        return str(client.post(reverse("registry:review_confirm"), form).content.decode())

    secrets = {
        field: secret
        for field, secret in _secrets(people).items()
        if field is not P.FIELD_RESIDENCE_STATUS_VIEW
    }
    # The 住民票コード change lists the code it replaces; the 個人番号 change shows no number before 本登録.
    shows = frozenset({P.FIELD_JUMINHYO_CODE_VIEW}) if number == "resident_code" else frozenset()
    _sweep(
        make_clerk, f"{number}-review", (P.RESIDENT_COMMIT, P.RESIDENT_VIEW), review, secrets, shows, "青木"
    )


def test_the_special_move_in_start_masks_honseki_and_the_stay_items(
    federation: TestFederation, counter_clerk: User, make_clerk: Callable[..., User]
) -> None:
    """特例転入 (std 4.1.1.3-a): the starting data from the held 転出証明書情報 leaves out 本籍・筆頭者 and
    the 在留資格 items the clerk has no grant for (``special_moves._as_seen``); the 個人番号 is never shown.
    The 住民票コード is the clerk's own input (from the card check), so the form shows it back."""
    japanese, japanese_card = card_holder_sent_over(federation, counter_clerk)
    foreign = {**SPECIAL_FOREIGN_ITEMS, "alias": "", "alias_kana": ""}
    other, other_card = card_holder_sent_over(
        federation, counter_clerk, name="NGUYEN\u3000VAN AN", foreign=foreign
    )
    with federation.acting_as(NAGASAKI):
        for card in (japanese_card, other_card):
            special_move_in.check_card(
                actor=counter_clerk, purpose="cs_operator", card_json=card, pin=SPECIAL_PIN
            )

    def start(code: str) -> Callable[[Any], str]:
        def call(client: Any) -> str:
            form = {"purpose": PURPOSE, "resident_codes": code, "start": "1"}
            with federation.acting_as(NAGASAKI):
                page = client.post(reverse("registry:special_move_in"), form)
            return str(page.content.decode())

        return call

    permissions = (P.RESIDENT_RECORD, P.RESIDENT_VIEW, P.INDIVIDUAL_NUMBER_ACCESS)
    honseki = {
        P.FIELD_HONSEKI_VIEW: "長崎県佐世保市八幡町1番地",
        P.INDIVIDUAL_NUMBER_ACCESS: japanese.individual_number,
    }
    shows = frozenset({P.FIELD_HONSEKI_VIEW, P.FIELD_RESIDENCE_STATUS_VIEW})
    _sweep(make_clerk, "special-move-in", permissions, start(japanese.resident_code), honseki, shows, "試験")
    status = {P.FIELD_RESIDENCE_STATUS_VIEW: SPECIAL_FOREIGN_ITEMS["residence_status"]}
    _sweep(
        make_clerk,
        "special-move-in-foreign",
        permissions,
        start(other.resident_code),
        status,
        shows,
        "NGUYEN",
    )


def test_the_renewal_target_list_masks_the_resident_code(
    federation: TestFederation, renewal_family: DraftRecorded, clerk: User, make_clerk: Callable[..., User]
) -> None:
    """更新対象者一覧 (std 7.1.1.4-a): the matched list shows the 住民票コード only with its grant."""
    head = renewal_family.atena_numbers[0]
    soon = timezone.localdate() + timedelta(days=60)
    code = current(head).juminhyo_code
    renewal_national_card(code, soon, "AAAAAAAAAAA1")
    renewal_registry_card(head, soon, clerk)

    def listed(client: Any) -> str:
        with federation.acting_as(RENEWAL_SASEBO):
            page = client.post(
                reverse("registry:renewal_targets"), {"purpose": PURPOSE, "expiring_by": soon.isoformat()}
            )
        return str(page.content.decode())

    secrets = {P.FIELD_JUMINHYO_CODE_VIEW: code, P.FIELD_HONSEKI_VIEW: HONSEKI}
    shows = frozenset({P.FIELD_JUMINHYO_CODE_VIEW})
    _sweep(make_clerk, "renewal-targets", (P.RESIDENT_VIEW,), listed, secrets, shows, "青木")


# --- the 市町村通知 file: it carries the 在留資格 items, so writing it needs their grant -------------------


def test_exporting_the_municipality_notice_file_needs_the_residence_status_grant(
    foreigner: str, clerk: User, sender: User
) -> None:
    """The file's items are fixed by 法30条の50 and not masked, so a clerk without
    ``field:residence_status:view`` may not write it (function, API, screen); refused and audited."""
    with pytest.raises(AccessRefused) as refused:
        immigration_sending.export_due(actor=clerk, purpose=PURPOSE)
    assert "在留資格" in refused.value.message
    assert refused.value.reason_code == "field_missing"
    entry = AuditEntry.objects.get(action="resident:municipality_notice:send", outcome="refused")
    assert (entry.actor_id, entry.outcome_reason) == (clerk.pk, "field_missing")
    api = logged_in(clerk).post(
        "/api/registry/immigration/outgoing/export",
        json.dumps({"purpose": PURPOSE, "state": "due"}),
        content_type="application/json",
    )
    assert api.status_code == 403
    assert "在留資格" in json.dumps(api.json(), ensure_ascii=False)
    screen = logged_in(clerk).post(
        reverse("registry:municipality_notices"), {"purpose": PURPOSE, "export": "1"}
    )
    assert screen.status_code == 403
    assert "在留資格" in screen.content.decode()
    assert not MunicipalityNotice.objects.filter(sent_at__isnull=False).exists()  # nothing sent
    assert (
        AuditEntry.objects.filter(action="resident:municipality_notice:send", outcome="refused").count() == 3
    )
    # With the grant the file is written, and its 在留資格 items are there as the law fixes them.
    batch = immigration_sending.export_due(actor=sender, purpose=PURPOSE)
    assert RESIDENCE_STATUS in batch.content
    with pytest.raises(AccessRefused):
        immigration_sending.resend(actor=clerk, purpose=PURPOSE, sequence_nos=list(batch.sequence_nos))

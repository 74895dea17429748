"""What every registry clerk screen does around its one service call (shared by the views_* modules).

A refusal becomes the 403 page (already audited by the service); a DomainError is shown on the
screen, in full or by its field; alerts the clerk has not acknowledged come back as one checkbox per
alert, and ticking them and sending again is the audited acknowledgment.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Concatenate, ParamSpec, cast

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render

from jumin.accounts.authorization import AccessRefused, has_permission
from jumin.accounts.duties import DUTIES, duty_choices
from jumin.accounts.permissions import Permission
from jumin.domain.certificates import MOVE_OUT_REQUESTERS, IdentityCheck, RequesterClass
from jumin.domain.errors import DomainError
from jumin.registry import certificate_sources
from jumin.registry.card_face_sources import card_faces_due
from jumin.registry.forms import AttentionNoteFields
from jumin.registry.preset_notes import joined
from jumin.registry.services import DraftRecorded
from jumin.registry.workflows.acknowledgement import ACKNOWLEDGED_FIELD, UnacknowledgedAlertsError

# The page that shows a draft (仮登録) just entered, whatever the workflow.
DONE_TEMPLATE = "registry/move_in_done.html"

P = ParamSpec("P")
View = Callable[Concatenate[HttpRequest, P], HttpResponse]


def refused(request: HttpRequest, error: AccessRefused) -> HttpResponse:
    """The 403 page every registry screen shows for a refusal (already audited by the service)."""
    return render(request, "registry/refused.html", {"message": error.message}, status=403)


def clerk_screen(view: View[P]) -> View[P]:
    """``login_required``, and a refusal raised anywhere in ``view`` answered by :func:`refused`."""

    @functools.wraps(view)
    def screen(request: HttpRequest, *args: P.args, **kwargs: P.kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except AccessRefused as error:
            return refused(request, error)

    return cast("View[P]", login_required(screen))


def offer_code_notices(context: dict[str, Any], *, actor: Any, change_ids: list[int], purpose: str) -> None:
    """「通知書を作成」 after a 本登録: one line per 住民票コード notice the committed changes call for
    (``registry/_code_notice_buttons.html``; each button posts the 異動番号 and 宛名番号 to the
    certificates app). A clerk without ``certificate:notice:print`` sees which notices are due, without
    the button."""
    context["code_notices"] = [
        notice for change_id in change_ids for notice in certificate_sources.code_notices_of_change(change_id)
    ]
    context["notice_purpose"] = purpose
    context["may_print_notices"] = has_permission(actor, Permission.CERTIFICATE_NOTICE_PRINT)
    # Standard 4.3.3-a: where the node is configured so, the page prints them at once (each form posts
    # itself into a hidden frame on load); the buttons stay for a reprint.
    context["card_faces"] = [due for change_id in change_ids for due in card_faces_due(change_id)]
    context["auto_print_notices"] = bool(
        context["code_notices"] and context["may_print_notices"] and code_notices_auto_print()
    )


def offer_move_out_certificates(
    context: dict[str, Any], *, actor: Any, change_ids: list[int], purpose: str
) -> None:
    """The 転出証明書 (or, after a late notification, its substitute or a 除票の写し) of each committed
    国内転出, printed from the 本登録's result (standard 4.1.3.0.3-a): one form per 転出
    (``registry/_move_out_certificates.html``) posting the 異動番号 and the request to the certificates
    app, which issues, records and audits it. A clerk without ``certificate:issue`` sees which
    certificates are due, without the form."""
    found = (certificate_sources.move_out_certificate_of_change(change_id) for change_id in change_ids)
    dues = [due for due in found if due is not None]
    context["move_out_certificates"] = dues
    if not dues:
        return
    context["may_issue_certificates"] = has_permission(actor, Permission.CERTIFICATE_ISSUE)
    purposes = context["certificate_purposes"] = duty_choices(actor)
    # Preselected: the commit's duty if it covers issuing, else the clerk's first duty that does.
    issuing = [code for code, _ in purposes if Permission.CERTIFICATE_ISSUE in DUTIES[code].permissions]
    context["certificate_purpose"] = purpose if purpose in issuing or not issuing else issuing[0]
    context["move_out_requesters"] = [(c.value, c.label) for c in RequesterClass if c in MOVE_OUT_REQUESTERS]
    context["identity_checks"] = [(c.value, c.label) for c in IdentityCheck]


def code_notices_auto_print() -> bool:
    """``JUMIN_CODE_NOTICES_AUTO_PRINT`` (default off): print the 住民票コード notices at 本登録."""
    return bool(getattr(settings, "JUMIN_CODE_NOTICES_AUTO_PRINT", False))


def acknowledged(request: HttpRequest) -> list[str]:
    """The alert codes the clerk ticked on the previous answer of the screen."""
    return request.POST.getlist(ACKNOWLEDGED_FIELD)


def error_text(error: DomainError) -> str:
    """A DomainError as one line under a form field: the reason, then the remedy."""
    return f"{error.reason}{error.remedy}"


@dataclass
class Outcome:
    """Whether the service call inside :func:`shown_on_screen` raised a DomainError."""

    failed: bool = False

    @property
    def ok(self) -> bool:
        """The call went through: the screen may go on to its result."""
        return not self.failed


# ``shown_on_screen(..., field=ERROR_FIELD)``: the error goes under its own field when the form has it.
ERROR_FIELD = object()


@contextmanager
def shown_on_screen(
    context: dict[str, Any],
    *,
    form: forms.Form | None = None,
    field: str | object | None = None,
    pending_alerts: bool = True,
) -> Iterator[Outcome]:
    """Catch the DomainError of the block and put it where the screen shows it.

    Unacknowledged alerts go to ``context["pending_alerts"]`` (unless ``pending_alerts`` is false);
    any other error goes to ``context["error"]``, or with ``form`` onto the form under ``field``
    (``None`` for the whole form, :data:`ERROR_FIELD` for the error's own field when the form has
    it). A refusal passes through to :func:`clerk_screen`.
    """
    outcome = Outcome()
    try:
        yield outcome
    except DomainError as error:
        outcome.failed = True
        if pending_alerts and isinstance(error, UnacknowledgedAlertsError):
            context["pending_alerts"] = error.alerts
        elif form is None:
            context["error"] = error
        else:
            if field is ERROR_FIELD:
                field = error.field if error.field in form.fields else None
            form.add_error(field if isinstance(field, str) else None, error_text(error))


def enter_draft(
    request: HttpRequest,
    form: forms.Form,
    template: str,
    submit: Callable[[dict[str, Any]], DraftRecorded],
    context: dict[str, Any] | None = None,
    *,
    pending_alerts: bool = True,
) -> HttpResponse:
    """Call the service on a valid POST; show the draft, the pending alerts, or the error in full.

    「定型文を入れる」 on a form with the 留意事項 (``AttentionNoteFields``) shows it again with the chosen
    preset inserted, recording nothing (:func:`preset_inserted_screen`)."""
    if isinstance(form, AttentionNoteFields):
        inserted = preset_inserted_screen(request, type(form), template, context)
        if inserted is not None:
            return inserted
    context = {"form": form, **(context or {})}
    if request.method == "POST" and form.is_valid():
        try:
            with shown_on_screen(context, pending_alerts=pending_alerts) as outcome:
                draft = submit(form.cleaned_data)
        except AccessRefused as error:
            return refused(request, error)
        if outcome.ok:
            return render(request, DONE_TEMPLATE, {"draft": draft})
    return render(request, template, context)


def with_preset_inserted(request: HttpRequest) -> QueryDict | None:
    """「定型文を入れる」 (standard 1.1.14-b): the posted form with the chosen preset appended to the
    留意事項, to show again for editing (nothing is recorded); None when the button was not pressed."""
    if request.method != "POST" or "insert_preset" not in request.POST:
        return None
    posted = request.POST.copy()
    preset = posted.get("preset_note", "")
    posted["attention_note"] = joined(posted.get("attention_note", "").strip(), preset)
    posted["preset_note"] = ""
    return posted


def preset_inserted_screen(
    request: HttpRequest, form_class: type[forms.Form], template: str, context: dict[str, Any] | None = None
) -> HttpResponse | None:
    """The entry screen shown again with the chosen preset in its 留意事項 (nothing recorded), or None
    when 「定型文を入れる」 was not pressed (screens with one form; the 転入 screen also has its rows)."""
    inserted = with_preset_inserted(request)
    if inserted is None:
        return None
    return render(request, template, {**(context or {}), "form": form_class(initial=inserted.dict())})

"""Screens: two-step login, factor enrolment, terminal enrolment and the account administration pages.

Thin: each view parses input, calls one service or selector of ``jumin.accounts`` and renders.
Refusals come back as ``AccessRefused`` (403) or ``RuleRefused`` (shown as a Japanese message);
both are already audited by the service. docs/security.md describes the flow.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages as flash
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from jumin.accounts import approvals, grants, selectors, services
from jumin.accounts.authorization import AccessRefused, granted_permissions, has_permission
from jumin.accounts.duties import FIELD_PERMISSIONS, duty_choices
from jumin.accounts.errors import RuleRefused
from jumin.accounts.middleware import (
    IDLE_LOCKED,
    NEXT_URL,
    bind_session_to_terminal,
    mark_second_factor_passed,
)
from jumin.accounts.permissions import Permission
from jumin.masters.selectors import node_municipality_name

View = Callable[..., HttpResponse]

PURPOSE_STAFF = "職員管理"
PURPOSE_TERMINAL = "端末管理"
PURPOSE_GRANT = "権限管理"
PURPOSE_PERSONNEL = "人事異動・研修管理"
PURPOSE_CONTRACT = "委託管理"
PURPOSE_OUTPUT = "出力承認"

# Added to the service's refusal of an output whose approval is not (yet) complete (C-28).
MEDIA_OUTPUT_NEEDS_BOTH_STAGES = (
    "媒体出力は、所属長と情報主管課長の二段階の承認がそろった自分の申請についてだけ記録できます。"
    "出力承認の一覧で、申請の各段階の決裁状況を確認してください。"
)

SESSION_TOTP_SECRET = "jumin.pending_totp"  # noqa: S105 (a session key name)
SESSION_REG_CHALLENGE = "jumin.webauthn_reg"
SESSION_AUTH_CHALLENGE = "jumin.webauthn_auth"

FIELD_LABELS = {
    Permission.FIELD_INDIVIDUAL_NUMBER_VIEW: "個人番号",
    Permission.FIELD_HONSEKI_VIEW: "本籍・筆頭者",
    Permission.FIELD_JUMINHYO_CODE_VIEW: "住民票コード",
    Permission.FIELD_RESIDENCE_STATUS_VIEW: "在留資格等",
}


# --- helpers --------------------------------------------------------------------------------------


def _refused(request: HttpRequest, error: AccessRefused) -> HttpResponse:
    return render(request, "web/refused.html", {"message": error.message}, status=403)


def staff_screen(view: View) -> View:
    """Login required (anonymous → login page); a refused permission renders 403 (already audited)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return HttpResponseRedirect(f"{reverse('web:login')}?next={request.path}")
        try:
            return view(request, *args, **kwargs)
        except AccessRefused as error:
            return _refused(request, error)

    return wrapper


def staff_action(back: str) -> Callable[[View], View]:
    """A POST action: like ``staff_screen``; a rule refusal is shown on the ``back`` page."""

    def decorate(view: View) -> View:
        @wraps(view)
        @require_POST
        @staff_screen
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                return view(request, *args, **kwargs)
            except RuleRefused as error:
                flash.error(request, error.message)
                return HttpResponseRedirect(reverse(back))
            except (ValueError, KeyError):
                flash.error(request, "入力内容に誤りがあります。確認してください。")
                return HttpResponseRedirect(reverse(back))

        return wrapper

    return decorate


def _date(value: str) -> date:
    return date.fromisoformat(value.strip())


def _safe_next(request: HttpRequest, candidate: str | None) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse(settings.LOGIN_REDIRECT_URL)


# --- login: password, then second factor ------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    """Step 1: 職員ID and password (C-5 lockout). Success leads to the second factor (C-3)."""
    user: Any = request.user
    if user.is_authenticated:
        return HttpResponseRedirect(reverse("web:verify"))
    error = ""
    if request.method == "POST":
        try:
            account = services.authenticate_password(
                username=request.POST.get("username", ""), password=request.POST.get("password", "")
            )
        except RuleRefused as refusal:
            error = refusal.message
        else:
            auth_login(request, account, backend="django.contrib.auth.backends.ModelBackend")
            bind_session_to_terminal(request)
            request.session[NEXT_URL] = _safe_next(request, request.POST.get("next"))
            return HttpResponseRedirect(reverse("web:verify"))
    return render(
        request,
        "web/login.html",
        {"error": error, "next": request.GET.get("next", request.POST.get("next", ""))},
    )


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    """Logout by POST only, audited."""
    if request.user.is_authenticated:
        services.record_logout(actor=request.user)
    auth_logout(request)
    return HttpResponseRedirect(reverse(settings.LOGOUT_REDIRECT_URL))


def _login_user(request: HttpRequest) -> Any:
    user: Any = request.user
    return user if user.is_authenticated else None


def _factor_passed(request: HttpRequest) -> str:
    mark_second_factor_passed(request)
    return str(request.session.pop(NEXT_URL, "") or reverse("web:home"))


@require_http_methods(["GET", "POST"])
def verify_view(request: HttpRequest) -> HttpResponse:
    """Step 2: the second factor, at login and after the idle lock (C-3, C-33)."""
    user = _login_user(request)
    if user is None:
        return HttpResponseRedirect(reverse("web:login"))
    if not services.has_second_factor(user):
        return HttpResponseRedirect(reverse("web:enrol"))
    error = ""
    if request.method == "POST":
        try:
            services.verify_totp(
                user=user, code=request.POST.get("code", ""), unlock=bool(request.session.get(IDLE_LOCKED))
            )
        except services.LoginRefused as refusal:
            if refusal.locked:
                auth_logout(request)
                flash.error(request, refusal.message)
                return HttpResponseRedirect(reverse("web:login"))
            error = refusal.message
        else:
            return HttpResponseRedirect(_factor_passed(request))
    context = {
        "error": error,
        "has_totp": bool(user.totp_secret),
        "has_webauthn": user.webauthn_credentials.exists(),
        "idle_locked": bool(request.session.get(IDLE_LOCKED)),
        # C-4: a CS terminal takes only an authenticator with biometric verification, so the page
        # offers no TOTP form there (the service refuses a posted code anyway, audited).
        "biometric_only": services.biometric_only_terminal(),
    }
    return render(request, "web/verify.html", context)


def _login_needed() -> JsonResponse:
    """The JSON answer of a WebAuthn step posted before the password step."""
    return JsonResponse({"detail": "ログインしてください。"}, status=401)


def _webauthn_options(
    request: HttpRequest, make_options: Callable[..., tuple[str, bytes]], session_key: str
) -> HttpResponse:
    """Options JSON for the browser; the challenge is kept once in the session under ``session_key``."""
    user = _login_user(request)
    if user is None:
        return _login_needed()
    options, challenge = make_options(user=user)
    request.session[session_key] = challenge.hex()
    return HttpResponse(options, content_type="application/json")


@require_POST
def webauthn_auth_options(request: HttpRequest) -> HttpResponse:
    """Start the WebAuthn assertion: options JSON; the challenge is kept once in the session."""
    return _webauthn_options(request, services.webauthn_authentication_options, SESSION_AUTH_CHALLENGE)


@require_POST
def webauthn_auth_verify(request: HttpRequest) -> HttpResponse:
    """Finish the WebAuthn assertion. The challenge is popped first, so it can never be reused."""
    user = _login_user(request)
    if user is None:
        return _login_needed()
    stored = request.session.pop(SESSION_AUTH_CHALLENGE, None)
    challenge = bytes.fromhex(stored) if stored else None
    try:
        services.verify_webauthn(
            user=user,
            credential_json=request.body.decode("utf-8", "replace"),
            challenge=challenge,
            unlock=bool(request.session.get(IDLE_LOCKED)),
        )
    except services.LoginRefused as refusal:
        if refusal.locked:
            auth_logout(request)
        return JsonResponse({"detail": refusal.message, "locked": refusal.locked}, status=400)
    return JsonResponse({"redirect": _factor_passed(request)})


# --- enrolment of factors ----------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def enrol_view(request: HttpRequest) -> HttpResponse:
    """Enrol TOTP or a WebAuthn authenticator; compulsory before any work when none is enrolled."""
    user = _login_user(request)
    if user is None:
        return HttpResponseRedirect(reverse("web:login"))
    first = not services.has_second_factor(user)
    error = ""
    if request.method == "POST":
        try:
            services.enrol_totp(
                user=user,
                secret=request.session.get(SESSION_TOTP_SECRET, ""),
                code=request.POST.get("code", ""),
            )
        except RuleRefused as refusal:
            error = refusal.message
        else:
            request.session.pop(SESSION_TOTP_SECRET, None)
            flash.success(request, "認証アプリを登録しました。")
            return HttpResponseRedirect(_factor_passed(request) if first else reverse("web:enrol"))
    secret = request.session.get(SESSION_TOTP_SECRET) or services.new_totp_secret()
    request.session[SESSION_TOTP_SECRET] = secret
    context = {
        "error": error,
        "first": first,
        "secret": secret,
        "uri": services.totp_uri(user=user, secret=secret),
        "has_totp": bool(user.totp_secret),
        "credentials": user.webauthn_credentials.count(),
    }
    return render(request, "web/enrol.html", context)


@require_POST
def webauthn_register_options(request: HttpRequest) -> HttpResponse:
    """Start registering an authenticator: options JSON; the challenge is kept once in the session."""
    return _webauthn_options(request, services.webauthn_registration_options, SESSION_REG_CHALLENGE)


@require_POST
def webauthn_register_verify(request: HttpRequest) -> HttpResponse:
    """Finish registering an authenticator (C-2: one account per authenticator)."""
    user = _login_user(request)
    if user is None:
        return _login_needed()
    first = not services.has_second_factor(user)
    stored = request.session.pop(SESSION_REG_CHALLENGE, None)
    try:
        services.enrol_webauthn(
            user=user,
            credential_json=request.body.decode("utf-8", "replace"),
            challenge=bytes.fromhex(stored) if stored else None,
            label=request.headers.get("X-Credential-Label", ""),
        )
    except RuleRefused as refusal:
        return JsonResponse({"detail": refusal.message}, status=400)
    return JsonResponse({"redirect": _factor_passed(request) if first else reverse("web:enrol")})


@require_http_methods(["GET", "POST"])
@staff_screen
def password_change(request: HttpRequest) -> HttpResponse:
    """Change one's own password (C-6)."""
    error = ""
    if request.method == "POST":
        new = request.POST.get("new_password", "")
        if new != request.POST.get("new_password_again", ""):
            error = "新しいパスワードが一致しません。"
        else:
            try:
                services.change_password(
                    actor=request.user, old_password=request.POST.get("old_password", ""), new_password=new
                )
            except RuleRefused as refusal:
                error = refusal.message
            else:
                from django.contrib.auth import update_session_auth_hash

                update_session_auth_hash(request, request.user)  # type: ignore[arg-type]
                flash.success(request, "パスワードを変更しました。")
                return HttpResponseRedirect(reverse("web:home"))
    return render(request, "web/password_change.html", {"error": error})


# --- terminal enrolment (C-3) ------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def terminal_enrol(request: HttpRequest) -> HttpResponse:
    """Enter the terminal id and one-time code an administrator issued; stores the terminal cookie."""
    error = ""
    if request.method == "POST":
        try:
            cookie = services.enrol_terminal(
                terminal_id=request.POST.get("terminal_id", ""), code=request.POST.get("code", "")
            )
        except RuleRefused as refusal:
            error = refusal.message
        else:
            response = HttpResponseRedirect(reverse("web:login"))
            response.set_cookie(
                settings.JUMIN_TERMINAL_COOKIE,
                cookie,
                max_age=60 * 60 * 24 * 400,
                httponly=True,
                samesite="Strict",
                secure=request.is_secure(),
            )
            flash.success(request, "端末を登録しました。ログインしてください。")
            return response
    return render(request, "web/terminal_enrol.html", {"error": error})


# --- home ---------------------------------------------------------------------------------------------


@require_GET
@staff_screen
def home(request: HttpRequest) -> HttpResponse:
    """The clerk's start page: links to the screens this user may open.

    Every screen is reachable from here by links alone (standard 2.3.2-a: keyboard operation, no typed
    addresses): the 住民記録 and 証明書 menus lead to their screens.
    """
    user = request.user
    registry = (
        Permission.RESIDENT_SEARCH,
        Permission.RESIDENT_VIEW,
        Permission.RESIDENT_RECORD,
        Permission.RESIDENT_COMMIT,
        Permission.RESIDENT_CARD_RECORD,
        Permission.RESIDENT_BATCH_RUN,
        Permission.EUC_EXTRACT,
        Permission.SUPPORT_MEASURE_MANAGE,
        Permission.SUPPORT_MEASURE_VIEW,
        Permission.SUPPRESSION_MANAGE,
        Permission.SUPPRESSION_RELEASE,
    )
    certificates = (
        Permission.CERTIFICATE_ISSUE,
        Permission.CERTIFICATE_HISTORY_VIEW,
        Permission.CERTIFICATE_NOTICE_PRINT,
        Permission.CERTIFICATE_VERIFY,
        Permission.CERTIFICATE_VOID,
        Permission.CERTIFICATE_SELF_NOTIFICATION_MANAGE,
        Permission.CERTIFICATE_SETTINGS_MANAGE,
    )
    links: list[tuple[tuple[Permission, ...], str, str]] = [
        (registry, "registry:menu", "住民記録"),
        (certificates, "certificates:menu", "証明書"),
        ((Permission.STAFF_MANAGE,), "web:staff", "職員アカウント管理"),
        ((Permission.TERMINAL_MANAGE,), "web:terminals", "端末管理"),
        ((Permission.TERMINAL_MANAGE,), "web:input_places", "入力場所（本庁・支所・出張所）"),
        ((Permission.MASTERS_EDIT,), "web:address_lots", "番地・方書マスタ"),
        ((Permission.STAFF_GRANT_REPORT,), "web:grants", "権限管理簿・申請承認"),
        ((Permission.STAFF_GRANT_REQUEST,), "web:grant_apply", "権限付与申請"),
        ((Permission.STAFF_GRANT_REPORT,), "web:grant_reconciliation", "操作者個別状況一覧表"),
        ((Permission.STAFF_GRANT_REPORT,), "audit:holders", "権限保有者・認証情報の一覧"),
        ((Permission.AUDIT_REVIEW,), "audit:review", "アクセスログの点検"),
        ((Permission.AUDIT_REVIEW,), "audit:search", "監査ログの検索・抽出"),
        ((Permission.AUDIT_RETENTION_MANAGE,), "audit:retention", "監査ログの保存期間"),
        ((Permission.NETWORK_MONITOR,), "messaging:monitor", "ノード間通信の状況"),
        ((Permission.NETWORK_MONITOR,), "atena:status", "宛名連携の状況（団体内統合宛名）"),
        ((Permission.HR_EVENT_RECORD,), "web:personnel", "人事異動・研修"),
        ((Permission.CONTRACT_MANAGE,), "web:contracts", "委託契約・従事者名簿"),
        ((Permission.CS_SEARCH,), "jukinet_cs:index", "市町村CS（統合端末）"),
        # Prefecture and national screens: their permissions are granted only on those nodes.
        ((Permission.PREFECTURE_MONITOR,), "jukinet_prefecture:monitor", "都道府県サーバ 更新状況"),
        (
            (Permission.PREFECTURE_FUHYO_VIEW,),
            "jukinet_prefecture:fuhyo_search",
            "附票の検索・附票全国サーバへの照会",
        ),
        (
            (Permission.PREFECTURE_FUHYO_NUMBER,),
            "jukinet_prefecture:fuhyo_numbers",
            "附票 国外転出者の個人番号",
        ),
        ((Permission.PREFECTURE_STATISTICS,), "jukinet_prefecture:statistics", "都道府県サーバ 統計"),
        ((Permission.PROVISION_PROVIDE,), "jukinet_provision:terminal", "提供・移転（業務端末）"),
        ((Permission.PROVISION_BULK,), "jukinet_provision:bulk", "一括提供（代表端末）"),
        ((Permission.PROVISION_DISCLOSURE,), "jukinet_provision:disclosure", "開示"),
        ((Permission.PROVISION_BODY_MANAGE,), "jukinet_provision:register", "提供先の登録"),
        ((Permission.PROVISION_STATISTICS,), "jukinet_provision:statistics", "提供・移転の統計"),
        ((Permission.NATIONAL_MONITOR,), "jukinet_national:overview", "全国サーバ 状況"),
        ((Permission.NATIONAL_CARD_MANAGE,), "jukinet_national:card_lookup", "個人番号カード照会"),
        ((Permission.NATIONAL_FUHYO_VIEW,), "jukinet_national:fuhyo_lookup", "附票全国サーバ 照会"),
    ]
    held = granted_permissions(user)
    visible = [(reverse(name), label) for needed, name, label in links if held.intersection(needed)]
    if held.intersection(selectors.APPROVAL_SCREEN_PERMISSIONS):
        visible.append((reverse("web:approvals"), "大量出力・媒体出力の承認"))
    return render(request, "web/home.html", {"municipality_name": node_municipality_name(), "links": visible})


# --- staff accounts (C-1, C-5, C-7) --------------------------------------------------------------------


@require_GET
@staff_screen
def staff_list(request: HttpRequest) -> HttpResponse:
    """Accounts, their persons and lock state; forms to register, unlock and reset (C-7)."""
    rows = selectors.staff_overview(actor=request.user, purpose=PURPOSE_STAFF)
    return render(request, "web/staff.html", {"rows": rows, "kinds": selectors.STAFF_KIND_CHOICES})


@staff_action("web:staff")
def staff_create(request: HttpRequest) -> HttpResponse:
    """Register a person and their one account; the initial password is shown once (C-1, C-2)."""
    post = request.POST
    end = post.get("employment_end", "").strip()
    user, password = services.register_staff(
        actor=request.user,
        staff_number=post.get("staff_number", "").strip(),
        name=post.get("name", "").strip(),
        username=post.get("username", "").strip(),
        department=post.get("department", "").strip(),
        kind=post.get("kind", "staff"),
        employment_notice=post.get("employment_notice", "").strip(),
        employment_end=_date(end) if end else None,
        purpose=PURPOSE_STAFF,
    )
    flash.success(request, f"{user.username} を登録しました。初期パスワード（一度だけ表示）: {password}")
    return HttpResponseRedirect(reverse("web:staff"))


@staff_action("web:staff")
def staff_unlock(request: HttpRequest, user_id: int) -> HttpResponse:
    """Unlock an account (C-5)."""
    services.unlock_account(actor=request.user, user_id=user_id, purpose=PURPOSE_STAFF)
    flash.success(request, "ロックを解除しました。")
    return HttpResponseRedirect(reverse("web:staff"))


@staff_action("web:staff")
def staff_password_reset(request: HttpRequest, user_id: int) -> HttpResponse:
    """Reset a password; the new one is shown once to the administrator (C-7)."""
    password = services.reset_password(actor=request.user, user_id=user_id, purpose=PURPOSE_STAFF)
    flash.success(request, f"新しいパスワード（一度だけ表示）: {password}")
    return HttpResponseRedirect(reverse("web:staff"))


# --- terminals (C-3) --------------------------------------------------------------------------------


@require_GET
@staff_screen
def terminals(request: HttpRequest) -> HttpResponse:
    """Registered terminals and the registration form."""
    rows = selectors.terminal_overview(actor=request.user, purpose=PURPOSE_TERMINAL)
    # A terminal id naming no terminal is biometric-only only where every terminal is (prefectural node).
    every_terminal_cs = services.biometric_only_terminal("")
    return render(request, "web/terminals.html", {"rows": rows, "every_terminal_cs": every_terminal_cs})


@staff_action("web:terminals")
def terminal_register(request: HttpRequest) -> HttpResponse:
    """Register a terminal; its one-time enrolment code is shown once.

    The CS-terminal box (C-4) sets the flag when ticked; left empty it keeps an existing terminal's
    flag, so re-issuing a code never clears it silently (clearing is the list's own action).
    """
    terminal_id = request.POST.get("terminal_id", "")
    biometric_only = request.POST.get("biometric_only") == "on"
    code = services.register_terminal(
        actor=request.user,
        terminal_id=terminal_id,
        name=request.POST.get("name", "").strip(),
        location=request.POST.get("location", "").strip(),
        purpose=PURPOSE_TERMINAL,
        biometric_only=True if biometric_only else None,
    )
    kind = "CS端末（生体認証のみ）として" if biometric_only else ""
    flash.success(
        request,
        f"端末 {terminal_id.strip()} を{kind}登録しました。登録コード（24時間有効・一度だけ表示）: {code}",
    )
    return HttpResponseRedirect(reverse("web:terminals"))


@staff_action("web:terminals")
def terminal_biometric(request: HttpRequest) -> HttpResponse:
    """Mark a terminal as CS terminal (生体認証のみ, C-4) or clear the mark; audited by the service.

    ``biometric_only`` must say ``on`` or ``off``: a missing value never clears the flag.
    """
    terminal_id = request.POST.get("terminal_id", "").strip()
    choice = request.POST.get("biometric_only", "")
    if choice not in ("on", "off"):
        raise ValueError(choice)
    services.set_terminal_biometric_only(
        actor=request.user, terminal_id=terminal_id, biometric_only=choice == "on", purpose=PURPOSE_TERMINAL
    )
    if choice == "on":
        flash.success(
            request,
            f"端末 {terminal_id} をCS端末に指定しました。"
            "この端末では生体認証付きの認証器でのみログインできます（確認コードは使えません）。",
        )
    else:
        flash.success(request, f"端末 {terminal_id} のCS端末の指定を解除しました。")
    return HttpResponseRedirect(reverse("web:terminals"))


# --- grants (C-12 to C-18) ------------------------------------------------------------------------------


@require_GET
@staff_screen
def grant_list(request: HttpRequest) -> HttpResponse:
    """Pending applications (for the IT head) and the grant register (管理簿)."""
    data = selectors.grant_overview(actor=request.user, purpose=PURPOSE_GRANT)
    return render(request, "web/grants.html", data)


@require_http_methods(["GET", "POST"])
@staff_screen
def grant_apply(request: HttpRequest) -> HttpResponse:
    """The section head's application form (GET lists the accounts, audited; POST applies) (C-12)."""
    if request.method == "POST":
        post = request.POST
        try:
            application = grants.apply_for_grant(
                actor=request.user,
                grantee_id=int(post.get("grantee_id", "0")),
                duty=post.get("duty", ""),
                extra_permissions=post.getlist("extra_permissions"),
                starts_on=_date(post.get("starts_on", "")),
                ends_on=_date(post.get("ends_on", "")),
                reason=post.get("reason", ""),
                purpose=PURPOSE_GRANT,
            )
        except RuleRefused as refusal:
            flash.error(request, refusal.message)
        except ValueError:
            flash.error(request, "入力内容に誤りがあります。確認してください。")
        else:
            flash.success(
                request, f"申請しました（申請番号 {application.pk}）。情報主管課長の承認を待ってください。"
            )
        return HttpResponseRedirect(reverse("web:grant_apply"))
    context = {
        "accounts": selectors.grant_form_accounts(actor=request.user, purpose=PURPOSE_GRANT),
        "duties": duty_choices(),
        "fields": [(p.value, FIELD_LABELS[p]) for p in sorted(FIELD_PERMISSIONS)],
    }
    return render(request, "web/grant_apply.html", context)


@staff_action("web:grants")
def grant_decide(request: HttpRequest, application_id: int) -> HttpResponse:
    """The IT head approves or rejects an application (requester ≠ approver)."""
    approve = request.POST.get("decision") == "approve"
    grants.decide_grant_application(
        actor=request.user,
        application_id=application_id,
        approve=approve,
        reason=request.POST.get("reason", ""),
        purpose=PURPOSE_GRANT,
    )
    flash.success(request, "承認しました。" if approve else "却下しました。")
    return HttpResponseRedirect(reverse("web:grants"))


@staff_action("web:grant_apply")
def grant_reapply(request: HttpRequest) -> HttpResponse:
    """Re-apply, for the new fiscal year, for last year's lapsed grants (C-14)."""
    ids = grants.reapply_lapsed_grants(
        actor=request.user,
        starts_on=_date(request.POST.get("starts_on", "")),
        ends_on=_date(request.POST.get("ends_on", "")),
        purpose=PURPOSE_GRANT,
    )
    flash.success(request, f"{len(ids)} 件の再申請を作成しました。")
    return HttpResponseRedirect(reverse("web:grant_apply"))


@require_GET
@staff_screen
def grant_reconciliation(request: HttpRequest) -> HttpResponse:
    """操作者個別状況一覧表: every person's status against their grants in force (C-15)."""
    rows = selectors.reconciliation_report(actor=request.user, purpose=PURPOSE_GRANT)
    return render(request, "web/reconciliation.html", {"rows": rows})


# --- personnel events and training (C-15, C-18) --------------------------------------------------------


@require_GET
@staff_screen
def personnel(request: HttpRequest) -> HttpResponse:
    """The HR clerk's screen: record 異動・休職・退職・復職 and training."""
    data = selectors.personnel_overview(actor=request.user, purpose=PURPOSE_PERSONNEL)
    return render(
        request,
        "web/personnel.html",
        {**data, "kinds": selectors.HR_EVENT_KIND_CHOICES, "training_kinds": selectors.TRAINING_KIND_CHOICES},
    )


@staff_action("web:personnel")
def hr_event_record(request: HttpRequest) -> HttpResponse:
    """Record a personnel event; the person's grants are revoked at once (C-15)."""
    revoked = grants.record_hr_event(
        actor=request.user,
        staff_number=request.POST.get("staff_number", "").strip(),
        kind=request.POST.get("kind", ""),
        effective_on=_date(request.POST.get("effective_on", "")),
        new_department=request.POST.get("new_department", "").strip(),
        purpose=PURPOSE_PERSONNEL,
    )
    flash.success(request, f"記録しました。取り消した権限: {revoked} 件")
    return HttpResponseRedirect(reverse("web:personnel"))


@staff_action("web:personnel")
def training_record(request: HttpRequest) -> HttpResponse:
    """Record a completed training (C-18, C-100)."""
    grants.record_training(
        actor=request.user,
        staff_number=request.POST.get("staff_number", "").strip(),
        kind=request.POST.get("kind", ""),
        fiscal_year=int(request.POST.get("fiscal_year", "0")),
        completed_on=_date(request.POST.get("completed_on", "")),
        purpose=PURPOSE_PERSONNEL,
    )
    flash.success(request, "研修の修了を記録しました。")
    return HttpResponseRedirect(reverse("web:personnel"))


@require_POST
def api_hr_event(request: HttpRequest) -> HttpResponse:
    """JSON API for the HR system's feed: ``{"staff_number", "kind", "effective_on", "new_department"}``.

    Anonymous → 401; without permission → 403; bad input → 400; done → 200 with the revoked count.
    """
    if not request.user.is_authenticated:
        return JsonResponse({"detail": "認証が必要です。"}, status=401)
    try:
        body = json.loads(request.body or b"{}")
        revoked = grants.record_hr_event(
            actor=request.user,
            staff_number=str(body.get("staff_number", "")),
            kind=str(body.get("kind", "")),
            effective_on=_date(str(body.get("effective_on", ""))),
            new_department=str(body.get("new_department", "")),
            purpose=PURPOSE_PERSONNEL,
        )
    except AccessRefused as error:
        return JsonResponse({"detail": error.message}, status=403)
    except RuleRefused as error:
        return JsonResponse({"detail": error.message, "code": error.reason_code}, status=400)
    except (ValueError, AttributeError):
        return JsonResponse({"detail": "入力内容に誤りがあります。"}, status=400)
    return JsonResponse({"revoked": revoked})


# --- contracts (C-17, C-88, C-89) -----------------------------------------------------------------------


@require_GET
@staff_screen
def contracts(request: HttpRequest) -> HttpResponse:
    """Contracts and their worker rosters."""
    rows = selectors.contract_overview(actor=request.user, purpose=PURPOSE_CONTRACT)
    return render(request, "web/contracts.html", {"rows": rows})


@staff_action("web:contracts")
def contract_register(request: HttpRequest) -> HttpResponse:
    """Register a contract with its roster (staff numbers separated by spaces or commas)."""
    workers = request.POST.get("workers", "").replace(",", " ").split()
    grants.register_contract(
        actor=request.user,
        number=request.POST.get("number", "").strip(),
        vendor=request.POST.get("vendor", "").strip(),
        starts_on=_date(request.POST.get("starts_on", "")),
        ends_on=_date(request.POST.get("ends_on", "")),
        worker_staff_numbers=workers,
        purpose=PURPOSE_CONTRACT,
    )
    flash.success(request, "契約を登録しました。")
    return HttpResponseRedirect(reverse("web:contracts"))


@staff_action("web:contracts")
def roster_remove(request: HttpRequest) -> HttpResponse:
    """Take a worker off a roster; their access ends the same day (C-89)."""
    revoked = grants.remove_roster_worker(
        actor=request.user,
        contract_number=request.POST.get("number", "").strip(),
        staff_number=request.POST.get("staff_number", "").strip(),
        purpose=PURPOSE_CONTRACT,
    )
    flash.success(request, f"従事者名簿から削除しました。取り消した権限: {revoked} 件")
    return HttpResponseRedirect(reverse("web:contracts"))


# --- output approvals and media (C-26 to C-28) -----------------------------------------------------------


@require_GET
@staff_screen
def approval_list(request: HttpRequest) -> HttpResponse:
    """Output approval requests, registered media and the media output log."""
    data = selectors.approval_overview(actor=request.user, purpose=PURPOSE_OUTPUT)
    context = {
        **data,
        "kinds": selectors.APPROVAL_KIND_CHOICES,
        # Which forms to offer; each service checks its permission again.
        "can_request": has_permission(request.user, Permission.OUTPUT_BULK_REQUEST),
        "can_check": has_permission(request.user, Permission.MEDIA_REGISTER),
    }
    return render(request, "web/approvals.html", context)


@staff_action("web:approvals")
def approval_request(request: HttpRequest) -> HttpResponse:
    """Apply for a bulk or media output, with scope and maximum count (C-26)."""
    approval = approvals.request_approval(
        actor=request.user,
        kind=request.POST.get("kind", ""),
        purpose=request.POST.get("purpose", "").strip(),
        scope=request.POST.get("scope", "").strip(),
        max_count=int(request.POST.get("max_count", "0")),
        medium_id=request.POST.get("medium_id", "").strip(),
    )
    flash.success(request, f"申請しました（申請番号 {approval.pk}）。")
    return HttpResponseRedirect(reverse("web:approvals"))


@staff_action("web:approvals")
def approval_decide(request: HttpRequest, approval_id: int) -> HttpResponse:
    """Decide the request's next stage: 管理責任者 for bulk output; 所属長, then 情報主管課長 for media
    output (C-26, C-28). The service refuses the requester and whoever decided an earlier stage."""
    approve = request.POST.get("decision") == "approve"
    approvals.decide_approval(
        actor=request.user,
        approval_id=approval_id,
        approve=approve,
        reason=request.POST.get("reason", ""),
        purpose=PURPOSE_OUTPUT,
    )
    flash.success(request, "承認しました。" if approve else "却下しました。")
    return HttpResponseRedirect(reverse("web:approvals"))


@staff_action("web:approvals")
def media_register(request: HttpRequest) -> HttpResponse:
    """The IT department registers an encrypted medium (C-28)."""
    approvals.register_medium(
        actor=request.user,
        medium_id=request.POST.get("medium_id", ""),
        label=request.POST.get("label", "").strip(),
        encrypted=request.POST.get("encrypted") == "on",
        purpose=PURPOSE_OUTPUT,
    )
    flash.success(request, "媒体を登録しました。")
    return HttpResponseRedirect(reverse("web:approvals"))


@staff_action("web:approvals")
def media_output(request: HttpRequest, approval_id: int) -> HttpResponse:
    """Record an output to a medium under an approval (C-27); refused until every stage approved (C-28)."""
    try:
        approvals.record_media_output(
            actor=request.user,
            approval_id=approval_id,
            medium_id=request.POST.get("medium_id", "").strip(),
            description=request.POST.get("description", "").strip(),
            record_count=int(request.POST.get("record_count", "-1")),
            file_sha256=request.POST.get("file_sha256", ""),
            purpose=PURPOSE_OUTPUT,
        )
    except RuleRefused as refusal:
        if refusal.reason_code != "approval_unusable":
            raise
        flash.error(request, f"{refusal.message}{MEDIA_OUTPUT_NEEDS_BOTH_STAGES}")
        return HttpResponseRedirect(reverse("web:approvals"))
    flash.success(request, "媒体出力を記録しました。情報主管課が媒体使用後の確認を行います。")
    return HttpResponseRedirect(reverse("web:approvals"))


@staff_action("web:approvals")
def media_use_check(request: HttpRequest, output_id: int) -> HttpResponse:
    """The IT department records the post-use check of a medium (媒体使用後の確認, C-28)."""
    erased = request.POST.get("erased") == "on"
    approvals.complete_media_use_check(
        actor=request.user,
        output_id=output_id,
        erased=erased,
        note=request.POST.get("note", "").strip(),
        purpose=PURPOSE_OUTPUT,
    )
    if erased:
        flash.success(request, "媒体使用後の確認を記録しました（消去確認済み）。")
    else:
        flash.warning(
            request,
            "媒体使用後の確認を記録しました。消去を確認できていません。所見に従って媒体を回収・消去してください。",
        )
    return HttpResponseRedirect(reverse("web:approvals"))

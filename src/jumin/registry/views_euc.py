"""EUC wizard (std 10.1-b): 1 対象と項目 → 2 条件 → 3 並べ替えと出力 → 4 確認と実行; results, downloads.

Thin: every step posts the definition chosen so far (hidden JSON) plus its own fields; the services
check, authorise, queue and audit. Everything is posted, never put in a URL. htmx swaps the wizard in
place; without script the same forms post whole pages (keyboard: native controls in tab order).

Step 2 nests two levels without any expression syntax: each condition row picks a グループ (none, A,
B, or a group inside one: A1, A2 in A, B1, B2 in B); a group's rows and inner groups are combined by the
group's own AND/OR, and the groups and the ungrouped rows by the overall AND/OR. Deeper or wider trees
(built through the API) are shown in words and kept as they are.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from jumin.accounts.forms import PurposeForm
from jumin.domain.errors import DomainError
from jumin.registry.euc import services
from jumin.registry.euc.catalogue import CATALOGUE, catalogue_items
from jumin.registry.euc.definition import (
    FUNCTION_LABELS,
    OPERATOR_LABELS,
    SCOPE_LABELS,
    describe,
    parse_definition,
)
from jumin.registry.euc.writers import ENCODING_LABELS, FORMAT_LABELS, CsvEncoding, OutputFormat
from jumin.registry.views_common import clerk_screen, shown_on_screen

_TEMPLATE = "registry/euc/wizard.html"
CONDITION_ROWS = 8
SORT_ROWS = 2
FUNCTION_ROWS = 2
GROUP_NAMES = ("A", "B")
INNER_GROUPS = 2  # groups inside each of A and B: A1, A2, B1, B2
# The combine a group starts with: the outer groups OR (「年齢＜20 または 年齢＞64」), the inner ones AND.
_DEFAULT_COMBINE = {1: "or", 2: "and"}


def _inner_names(name: str) -> tuple[str, ...]:
    return tuple(f"{name}{index}" for index in range(1, INNER_GROUPS + 1))


ALL_GROUP_NAMES = tuple(n for name in GROUP_NAMES for n in (name, *_inner_names(name)))


def _posted_definition(post: Any) -> dict[str, Any]:
    try:
        raw = json.loads(post.get("definition") or "{}")
    except ValueError:
        raw = {}
    return raw if isinstance(raw, dict) else {}


def _condition_fields(post: Any, i: int) -> dict[str, Any]:
    return {
        "item": post.get(f"c{i}_item"),
        "op": post.get(f"c{i}_op"),
        "value": post.get(f"c{i}_value", ""),
        "value2": post.get(f"c{i}_value2", ""),
    }


def _named_groups(raw: dict[str, Any]) -> list[tuple[str, int, dict[str, Any]]]:
    """(グループ name, level, group) of the tree as step 2 names them: A, A1, A2, B, B1, B2 by position."""
    named: list[tuple[str, int, dict[str, Any]]] = []
    for name, group in zip(GROUP_NAMES, raw.get("groups") or [], strict=False):
        named.append((name, 1, dict(group)))
        inner = zip(_inner_names(name), group.get("groups") or [], strict=False)
        named += [(inner_name, 2, dict(subgroup)) for inner_name, subgroup in inner]
    return named


def _wizard_editable(raw: dict[str, Any]) -> bool:
    """Whether step 2 can show the tree: at most ``GROUP_NAMES`` groups, each with at most
    ``INNER_GROUPS`` groups of plain conditions, and no more conditions than rows (a longer definition
    from the API is kept, never cut)."""
    groups = raw.get("groups") or []
    inner = [dict(g) for group in groups for g in group.get("groups") or []]
    count = len(raw.get("conditions") or []) + sum(
        len(group.get("conditions") or []) for group in (*groups, *inner)
    )
    return (
        len(groups) <= len(GROUP_NAMES)
        and all(len(group.get("groups") or []) <= INNER_GROUPS for group in groups)
        and not any(g.get("groups") for g in inner)
        and count <= CONDITION_ROWS
    )


def _posted_group(post: Any, rows: list[tuple[str, dict[str, Any]]], name: str, level: int) -> dict[str, Any]:
    """One group of the rows posted with its name, with its inner groups; empty ones are left out
    (an empty group accepts every row, which would open an OR)."""
    group: dict[str, Any] = {
        "combine": post.get(f"g{name}_combine", _DEFAULT_COMBINE[level]),
        "conditions": [fields for group_name, fields in rows if group_name == name],
    }
    if level == 1:
        inner = [_posted_group(post, rows, inner_name, 2) for inner_name in _inner_names(name)]
        if any(inner):
            group["groups"] = [subgroup for subgroup in inner if subgroup]
    return group if group["conditions"] or group.get("groups") else {}


def _merge_conditions(post: Any, raw: dict[str, Any]) -> None:
    raw["combine"] = post.get("combine", "and")
    rows = [(post.get(f"c{i}_group", ""), _condition_fields(post, i)) for i in range(CONDITION_ROWS)]
    rows = [(group, fields) for group, fields in rows if fields["item"]]
    raw["conditions"] = [fields for group, fields in rows if group not in ALL_GROUP_NAMES]
    groups = [_posted_group(post, rows, name, 1) for name in GROUP_NAMES]
    raw["groups"] = [group for group in groups if group]


def _merge_step(step: str, post: Any, raw: dict[str, Any]) -> dict[str, Any]:
    """Fold the fields of the step just posted into the definition."""
    if step == "1":
        raw["scope"] = post.get("scope", "current")
        raw["items"] = post.getlist("items")
    elif step == "2" and _wizard_editable(raw):
        _merge_conditions(post, raw)
    elif step == "3":
        raw["sort"] = [
            {"item": post.get(f"s{i}_item"), "descending": post.get(f"s{i}_desc") == "1"}
            for i in range(SORT_ROWS)
            if post.get(f"s{i}_item")
        ]
        raw["mode"] = post.get("mode", "rows")
        raw["group_by"] = post.get("group_by", "")
        raw["group_by2"] = post.get("group_by2", "")
        raw["aggregates"] = [
            {"function": post.get(f"f{i}_function"), "item": post.get(f"f{i}_item")}
            for i in range(FUNCTION_ROWS)
            if post.get(f"f{i}_item")
        ]
        raw["reference_date"] = post.get("reference_date", "").strip()
    return raw


def _condition_rows(raw: dict[str, Any]) -> list[tuple[int, str, dict[str, Any]]]:
    """(row number, グループ, condition) for step 2: ungrouped rows first, then each group's; blanks."""
    rows: list[tuple[str, dict[str, Any]]] = [("", dict(c)) for c in raw.get("conditions") or []]
    for name, _level, group in _named_groups(raw):
        rows += [(name, dict(c)) for c in group.get("conditions") or []]
    rows += [("", {})] * max(0, CONDITION_ROWS - len(rows))
    return [(i, group, condition) for i, (group, condition) in enumerate(rows[:CONDITION_ROWS])]


def _group_combines(raw: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(name, where it sits, AND/OR) of every group step 2 offers, as chosen or by default."""
    chosen = {name: str(group.get("combine") or "and") for name, _level, group in _named_groups(raw)}
    return [
        (name, f"（{name[0]}の中）" if len(name) > 1 else "", chosen.get(name, _DEFAULT_COMBINE[len(name)]))
        for name in ALL_GROUP_NAMES
    ]


def _summary(raw: dict[str, Any]) -> str:
    """The condition tree in words, or nothing when the definition does not parse yet."""
    try:
        return describe(parse_definition(raw))
    except DomainError:
        return ""


def _context(request: HttpRequest, raw: dict[str, Any], step: int) -> dict[str, Any]:
    return {
        "step": step,
        "definition": raw,
        "definition_json": json.dumps(raw, ensure_ascii=False),
        "catalogue": catalogue_items(),
        "chosen_labels": [CATALOGUE[key].label for key in raw.get("items") or [] if key in CATALOGUE],
        "scope_label": {str(scope): label for scope, label in SCOPE_LABELS.items()}.get(
            str(raw.get("scope", "current")), ""
        ),
        "scopes": SCOPE_LABELS.items(),
        "operators": OPERATOR_LABELS.items(),
        "condition_rows": _condition_rows(raw),
        "group_names": ALL_GROUP_NAMES,
        "group_combines": _group_combines(raw),
        "editable_conditions": _wizard_editable(raw),
        "condition_summary": _summary(raw) if step in (2, 4) or not _wizard_editable(raw) else "",
        "functions": FUNCTION_LABELS.items(),
        "function_rows": [
            (i, (raw.get("aggregates") or [])[i] if i < len(raw.get("aggregates") or []) else {})
            for i in range(FUNCTION_ROWS)
        ],
        "numeric_items": [item for item in catalogue_items() if item.numeric],
        "group_labels": [
            CATALOGUE[key].label for key in (raw.get("group_by"), raw.get("group_by2")) if key in CATALOGUE
        ],
        "sort_rows": [
            (i, (raw.get("sort") or [])[i] if i < len(raw.get("sort") or []) else {})
            for i in range(SORT_ROWS)
        ],
        "formats": [(f.value, label) for f, label in FORMAT_LABELS.items()],
        "encodings": ENCODING_LABELS.items(),
        "saved": services.saved_definitions(actor=request.user),
        "purpose_form": PurposeForm(request.POST if "purpose" in request.POST else None),
    }


@clerk_screen
@require_http_methods(["GET", "POST"])
def euc_wizard(request: HttpRequest) -> HttpResponse:
    """The four-step extraction wizard, saved definitions and the run request."""
    post = request.POST
    raw = _posted_definition(post)
    action = post.get("action", "")
    step = int(post.get("step", "1")) if post.get("step", "1").isdigit() else 1
    raw = _merge_step(str(step), post, raw)
    context = _context(request, raw, step)
    if action == "load" and post.get("saved_id", "").isdigit():
        loaded = services.saved_definition(actor=request.user, definition_id=int(post["saved_id"]))
        if loaded is not None:
            context = _context(request, loaded, 4)
    elif action == "back":
        context = _context(request, raw, max(1, step - 1))
    elif action == "next":
        with shown_on_screen(context) as outcome:
            if step >= 3:
                parse_definition(raw)  # checked before the confirmation step
        if not outcome.failed:
            context = _context(request, raw, min(4, step + 1))
    elif action in ("run", "save"):
        form = context["purpose_form"]
        if form.is_valid():
            purpose = form.cleaned_data["purpose"]
            with shown_on_screen(context):
                if action == "save":
                    services.save_definition(
                        actor=request.user, purpose=purpose, name=post.get("name", ""), raw=raw
                    )
                    context["done"] = "抽出定義を保存しました。"
                    context["saved"] = services.saved_definitions(actor=request.user)
                else:
                    services.request_extraction(
                        actor=request.user,
                        purpose=purpose,
                        raw=raw,
                        output_format=_choice(OutputFormat, post.get("format"), OutputFormat.CSV),
                        encoding=_choice(CsvEncoding, post.get("encoding"), CsvEncoding.UTF8_BOM),
                        approval_id=int(post["approval_id"])
                        if post.get("approval_id", "").isdigit()
                        else None,
                    )
                    context["done"] = (
                        "抽出を受け付けました。結果一覧で完了を確認してダウンロードしてください。"
                    )
    return render(request, _TEMPLATE, context)


def _choice(kind: Any, value: object, default: Any) -> Any:
    try:
        return kind(str(value))
    except ValueError:
        return default


@clerk_screen
@require_http_methods(["GET", "POST"])
def euc_results(request: HttpRequest) -> HttpResponse:
    """The user's own runs (state, counts, rows refused for characters) with a download button each."""
    form = PurposeForm(request.POST if "purpose" in request.POST else None)
    context: dict[str, Any] = {"form": form}
    if form.is_valid():
        purpose = form.cleaned_data["purpose"]
        run_id = request.POST.get("run_id", "")
        if run_id.isdigit():
            try:
                name, content_type, content = services.download_result(
                    actor=request.user, purpose=purpose, run_id=int(run_id)
                )
            except DomainError as error:
                context["error"] = error
            else:
                response = HttpResponse(content, content_type=content_type)
                response["Content-Disposition"] = f'attachment; filename="{name}"'
                return response
        context["runs"] = services.runs_of(actor=request.user, purpose=purpose)
        context["purpose"] = purpose
    return render(request, "registry/euc/results.html", context)

"""EUC wizard and result screens (standard 10.1-b/c): every step posted, keyboard-usable forms, audited."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse

from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction
from jumin.audit.models import AuditEntry
from jumin.registry.euc import services
from jumin.registry.services import DraftRecorded
from tests.helpers.permission_matrix import assert_permission_triple
from tests.registry.conftest import PURPOSE, logged_in

pytestmark = pytest.mark.django_db

WIZARD = "registry:euc"


def _step(client: Any, step: int, definition: dict[str, Any], **fields: Any) -> Any:
    data = {"step": str(step), "definition": json.dumps(definition), "action": "next", **fields}
    return client.post(reverse(WIZARD), data)


def test_the_wizard_walks_four_steps_and_queues_a_run_downloaded_from_the_results(
    family: DraftRecorded,
    make_clerk: Callable[..., User],
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = logged_in(make_clerk("euc", Permission.EUC_EXTRACT))
    page = client.get(reverse(WIZARD))
    assert "手順 1 / 4" in page.content.decode()
    assert 'value="individual_number"' not in page.content.decode()
    page = _step(client, 1, {}, scope="current", items=["atena_number", "given_name"])
    assert "手順 2 / 4" in page.content.decode()
    definition = page.context["definition"]
    page = _step(client, 2, definition, combine="and", c0_item="sex", c0_op="eq", c0_value="female")
    page = _step(client, 3, page.context["definition"], s0_item="given_name", mode="rows")
    assert "手順 4 / 4" in page.content.decode()
    assert "項目：宛名番号、名" in page.content.decode()
    data = {
        "step": "4",
        "definition": json.dumps(page.context["definition"]),
        "action": "run",
        "purpose": PURPOSE,
        "format": "csv",
        "encoding": "utf-8-sig",
    }
    with django_capture_on_commit_callbacks(execute=True):
        page = client.post(reverse(WIZARD), data)
    assert "抽出を受け付けました" in page.content.decode()
    results = client.post(reverse("registry:euc_results"), {"purpose": PURPOSE})
    run = results.context["runs"][0]
    assert (run.state, run.row_count) == ("done", 2)
    download = client.post(reverse("registry:euc_results"), {"purpose": PURPOSE, "run_id": str(run.run_id)})
    assert download["Content-Disposition"] == f'attachment; filename="euc-{run.run_id}.csv"'
    assert download.content.decode("utf-8-sig").splitlines()[1:] == [
        f"{family.atena_numbers[2]},三奈",
        f"{family.atena_numbers[1]},花子",
    ]
    assert AuditEntry.objects.filter(action=AuditAction.EUC_RESULT_DOWNLOAD).count() == 1


def test_a_bad_condition_stops_the_wizard_with_a_japanese_message_naming_the_item(
    make_clerk: Callable[..., User],
) -> None:
    client = logged_in(make_clerk("euc", Permission.EUC_EXTRACT))
    definition = {
        "items": ["surname"],
        "conditions": [{"item": "birth_date", "op": "gt", "value": "昭和40年"}],
    }
    page = _step(client, 3, definition, mode="rows")
    body = page.content.decode()
    assert "「生年月日」の値が日付ではありません。" in body
    assert "手順 3 / 4" in body


def test_saving_a_definition_needs_the_euc_permission(make_staff: Callable[..., Any]) -> None:
    data = {
        "step": "4",
        "definition": json.dumps({"items": ["surname"]}),
        "action": "save",
        "purpose": PURPOSE,
        "name": "氏の一覧",
    }
    assert_permission_triple(make_staff, "post", reverse(WIZARD), Permission.EUC_EXTRACT, data=data)


def test_the_result_list_shows_only_ones_own_runs(
    family: DraftRecorded, make_clerk: Callable[..., User]
) -> None:
    owner = make_clerk("owner", Permission.EUC_EXTRACT)
    run_id = services.request_extraction(
        actor=owner, purpose=PURPOSE, raw={"items": ["atena_number"]}, output_format=services.OutputFormat.CSV
    )
    services.run_extraction(run_id)
    other = logged_in(make_clerk("other", Permission.EUC_EXTRACT))
    page = other.post(reverse("registry:euc_results"), {"purpose": PURPOSE, "run_id": str(run_id)})
    assert "ダウンロードできる抽出結果がありません" in page.content.decode()
    assert page.context["runs"] == []


def test_the_api_queues_lists_and_downloads_a_run(
    family: DraftRecorded, make_clerk: Callable[..., User], django_capture_on_commit_callbacks: Any
) -> None:
    client = logged_in(make_clerk("euc", Permission.EUC_EXTRACT))
    catalogue = client.get("/api/registry/euc/catalogue").json()
    assert {"key": "sex", "codes": {"male": "男", "female": "女"}}.items() <= next(
        i for i in catalogue if i["key"] == "sex"
    ).items()
    bad = client.post(
        "/api/registry/euc/runs",
        {"purpose": PURPOSE, "definition": {"items": ["individual_number"]}},
        content_type="application/json",
    )
    assert bad.status_code == 400
    assert bad.json()["code"] == "euc.never_extractable"
    with django_capture_on_commit_callbacks(execute=True):
        queued = client.post(
            "/api/registry/euc/runs",
            {"purpose": PURPOSE, "definition": {"mode": "count"}, "output_format": "xml"},
            content_type="application/json",
        )
    assert queued.status_code == 202
    run_id = queued.json()["run_id"]
    [run] = client.post(
        "/api/registry/euc/runs/list", {"purpose": PURPOSE}, content_type="application/json"
    ).json()
    assert (run["run_id"], run["state"], run["row_count"]) == (run_id, "done", 1)
    file = client.post(
        "/api/registry/euc/runs/download",
        {"purpose": PURPOSE, "run_id": run_id},
        content_type="application/json",
    )
    assert file["Content-Type"] == "application/xml"
    assert b'<value key="count">3</value>' in file.content


def test_the_wizard_builds_a_group_and_totals_and_confirms_them_in_words(
    make_clerk: Callable[..., User],
) -> None:
    client = logged_in(make_clerk("euc", Permission.EUC_EXTRACT))
    page = _step(client, 1, {}, scope="current", items=["given_name"])
    assert 'name="c7_group"' in page.content.decode()  # 8 rows, each with its グループ
    page = _step(
        client,
        2,
        page.context["definition"],
        combine="and",
        gA_combine="or",
        c0_item="sex",
        c0_op="eq",
        c0_value="female",
        c1_group="A",
        c1_item="age",
        c1_op="lt",
        c1_value="20",
        c2_group="A",
        c2_item="age",
        c2_op="gt",
        c2_value="64",
    )
    definition = page.context["definition"]
    assert definition["conditions"] == [{"item": "sex", "op": "eq", "value": "female", "value2": ""}]
    assert [g["combine"] for g in definition["groups"]] == ["or"]
    assert [c["value"] for c in definition["groups"][0]["conditions"]] == ["20", "64"]
    fields = {"mode": "count", "group_by": "age_band", "f0_function": "avg", "f0_item": "age"}
    page = _step(client, 3, definition, **fields)
    assert "年齢の基準日が入力されていません。" in page.content.decode()  # stays on step 3
    page = _step(client, 3, definition, reference_date="令和8年4月1日", **fields)
    body = page.content.decode()
    assert "手順 4 / 4" in body
    assert "「性別」 ＝ 女 かつ （「年齢（基準日現在）」 ＜ 20 または 「年齢（基準日現在）」 ＞ 64）" in body
    assert "集計（年齢階級（5歳）ごと）" in body


def test_a_deeper_tree_from_the_api_is_shown_in_words_and_kept_through_step_2(
    make_clerk: Callable[..., User],
) -> None:
    client = logged_in(make_clerk("euc", Permission.EUC_EXTRACT))
    inner = {"combine": "or", "conditions": [{"item": "sex", "op": "eq", "value": "male"}]}
    # Three groups inside one: wider than step 2's A1 and A2.
    definition = {"items": ["surname"], "groups": [{"combine": "and", "groups": [inner, inner, inner]}]}
    page = _step(client, 2, definition, combine="or", c0_item="surname", c0_op="eq", c0_value="青木")
    assert page.context["definition"]["groups"] == definition["groups"]  # not cut to what the rows show
    assert page.context["definition"].get("conditions") is None
    page = client.post(
        reverse(WIZARD), {"step": "3", "definition": json.dumps(definition), "action": "back", "mode": "rows"}
    )
    body = page.content.decode()
    assert "画面で編集できない形" in body
    male = "（「性別」 ＝ 男）"
    assert f"現在の条件：（{male} かつ {male} かつ {male}）" in body


def test_step_2_builds_groups_inside_groups_and_shows_them_again(make_clerk: Callable[..., User]) -> None:
    client = logged_in(make_clerk("euc", Permission.EUC_EXTRACT))
    rows = {
        "c0_group": "A1",
        "c0_item": "sex",
        "c0_op": "eq",
        "c0_value": "female",
        "c1_group": "A1",
        "c1_item": "age",
        "c1_op": "lt",
        "c1_value": "20",
        "c2_group": "A2",
        "c2_item": "age",
        "c2_op": "gt",
        "c2_value": "64",
        "c3_item": "status",
        "c3_op": "eq",
        "c3_value": "resident",
    }
    page = _step(client, 2, {"items": ["surname"]}, combine="and", gA_combine="or", **rows)
    definition = page.context["definition"]
    assert definition["conditions"] == [{"item": "status", "op": "eq", "value": "resident", "value2": ""}]
    (outer,) = definition["groups"]
    assert outer["combine"] == "or"
    assert outer["conditions"] == []
    assert [g["combine"] for g in outer["groups"]] == ["and", "and"]  # inner groups start as AND
    assert [[c["value"] for c in g["conditions"]] for g in outer["groups"]] == [["female", "20"], ["64"]]
    page = client.post(
        reverse(WIZARD),
        {
            "step": "3",
            "definition": json.dumps(definition),
            "action": "back",
            "reference_date": "2026-04-01",
        },
    )
    body = page.content.decode()
    assert "画面で編集できない形" not in body
    assert '<option value="A1" selected>A1（Aの中）</option>' in body
    assert '<label for="euc-gA2">グループA2（Aの中）の中の組合せ</label>' in body  # a named control
    assert (
        "現在の条件：「住民状態」 ＝ 住民 かつ （（「性別」 ＝ 女 かつ 「年齢（基準日現在）」 ＜ 20） または"
        " （「年齢（基準日現在）」 ＞ 64））" in body
    )

"""The clerk's main paths in a real browser, by keyboard: log in, search, open a record, 転入 with review.

Every step goes through the demo node's real screens (issue 4 item 8: fully usable with the keyboard;
issue 3 item 1: second factor). Only synthetic residents exist on the node.
"""

from __future__ import annotations

import re
from datetime import date

import pyotp
import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.conftest import DemoNode, a_current_resident, log_in

pytestmark = pytest.mark.browser


def _type_into(page: Page, selector: str, text: str) -> None:
    page.locator(selector).focus()
    page.keyboard.type(text)


COUNTER = "住民記録窓口事務"
REVIEW = "住民記録審査事務"


def _choose_purpose(page: Page, duty: str) -> None:
    """Pick the duty the work is done for as the purpose (利用目的), as the screen requires."""
    page.locator("#id_purpose").select_option(label=duty)


def test_login_refuses_a_wrong_code_then_accepts_the_right_one(
    demo_node: DemoNode, terminal: BrowserContext
) -> None:
    page = terminal.new_page()
    page.goto(demo_node.base_url + "/login/")
    page.locator("#id_username").focus()
    page.keyboard.type(demo_node.admin.username)
    page.keyboard.press("Tab")
    page.keyboard.type(demo_node.admin.password)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    wrong = "000000" if pyotp.TOTP(demo_node.admin.totp_secret).now() != "000000" else "111111"
    _type_into(page, "#id_code", wrong)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("確認コード")
    expect(page.get_by_role("heading", name="第二認証")).to_be_visible()

    _type_into(page, "#id_code", demo_node.admin.next_code())
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="第二認証")).to_have_count(0)
    expect(page.locator("header")).to_contain_text("管理者")


def test_a_clerk_finds_a_resident_by_kana_and_birth_date_and_opens_the_record(
    demo_node: DemoNode, terminal: BrowserContext
) -> None:
    person = a_current_resident(demo_node)
    page = terminal.new_page()
    log_in(page, demo_node, demo_node.clerk)
    page.goto(demo_node.base_url + "/registry/search/")
    _choose_purpose(page, COUNTER)
    _type_into(page, "#id_kana_name", f"{person['surname_kana']} {person['given_name_kana']}")
    _type_into(page, "#id_birth_date", person["birth_date"])
    with page.expect_navigation():
        page.keyboard.press("Enter")

    row = page.locator("table.results tbody tr").filter(has_text=person["atena_number"])
    expect(row).to_have_count(1)
    row.get_by_role("button", name="照会").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="住民票（現在）")).to_be_visible()
    expect(page.locator("table.record")).to_contain_text(f"{person['surname']} {person['given_name']}")
    # Conditions and the opened person travel in POST bodies, never in the address bar.
    for value in (person["surname_kana"], person["atena_number"], person["birth_date"]):
        assert value not in page.url


def test_a_clerk_enters_a_variant_kanji_and_an_ivs_glyph_through_the_glyph_aid(
    demo_node: DemoNode, terminal: BrowserContext
) -> None:
    page = terminal.new_page()
    log_in(page, demo_node, demo_node.clerk)
    page.goto(demo_node.base_url + "/registry/search/")
    _type_into(page, "#id_kanji_name", "田")
    page.locator(".glyph-aid summary").first.focus()
    page.keyboard.press("Enter")  # opens the aid
    _type_into(page, "#id_kanji_name_glyph", "高")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # 候補を表示
    variant = page.locator('#id_kanji_name_glyphs button[data-glyph="髙"]')
    expect(variant).to_be_visible()
    variant.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#id_kanji_name")).to_have_value("田髙")

    page.locator("#id_kanji_name_glyph").fill("")
    _type_into(page, "#id_kanji_name_glyph", "U+8FBB U+E0100")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.locator("#id_kanji_name_glyphs")).to_contain_text("VS17")
    page.locator("#id_kanji_name_glyphs button.glyph").first.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#id_kanji_name")).to_have_value("田髙辻\U000e0100")


def test_a_move_in_entered_by_one_clerk_is_committed_only_by_another(
    demo_node: DemoNode, browser_contexts: tuple[BrowserContext, BrowserContext]
) -> None:
    clerk_context, reviewer_context = browser_contexts
    page = clerk_context.new_page()
    log_in(page, demo_node, demo_node.clerk)
    page.goto(demo_node.base_url + "/registry/move-in/")
    _choose_purpose(page, COUNTER)
    today = date.today()
    _type_into(page, "#id_address", "長崎県佐世保市八幡町1番10号")
    _type_into(page, "#id_previous_address", "福岡県福岡市中央区天神1丁目1番1号")
    _type_into(page, "#id_move_in_date", f"{today.year}-{today.month:02d}-{today.day:02d}")
    page.locator("#id_notification_date").fill(today.isoformat())
    for field, value in {
        "surname": "試験",
        "given_name": "太郎",
        "surname_kana": "シケン",
        "given_name_kana": "タロウ",
        "birth_date": "1980-05-05",
        "relationship": "世帯主",
        "honseki": "福岡県福岡市中央区天神一丁目1番",
        "hittousha": "試験 太郎",
    }.items():
        _type_into(page, f"#id_form-0-{field}", value)
    page.locator("#id_form-0-sex").select_option("male")
    with page.expect_navigation():
        page.get_by_role("button", name="仮登録").press("Enter")
    expect(page.get_by_role("heading", name="仮登録しました")).to_be_visible()
    change_id = re.search(r"異動番号 (\d+)", page.inner_text("main")).group(1)  # type: ignore[union-attr]

    # The clerk who entered it cannot commit it (maker-checker).
    page.goto(demo_node.base_url + f"/registry/drafts/{change_id}/")
    _choose_purpose(page, COUNTER)
    with page.expect_navigation():
        page.get_by_role("button", name="本登録").press("Enter")
    expect(page.locator("main")).not_to_contain_text("本登録しました")

    review = reviewer_context.new_page()
    log_in(review, demo_node, demo_node.reviewer)
    review.goto(demo_node.base_url + "/registry/drafts/")
    review.get_by_role("link", name=change_id, exact=True).focus()
    with review.expect_navigation():
        review.keyboard.press("Enter")
    _choose_purpose(review, REVIEW)
    with review.expect_navigation():
        review.get_by_role("button", name="本登録").press("Enter")
    expect(review.get_by_role("status")).to_contain_text("本登録")

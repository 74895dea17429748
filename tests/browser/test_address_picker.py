"""住所を住所辞書から選ぶ by keyboard alone in a real browser (standard 1.3.3-d, 2.3.2-a): on the 転居 screen
the clerk tabs into the picker, moves through 都道府県 → 市区町村 → 町字 with the arrow keys and fills the
address with Enter on 「この住所を使う」."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.conftest import DemoNode, log_in

pytestmark = pytest.mark.browser

KEY = "picker-address-"


def _tab_to(page: Page, selector: str, *, limit: int = 80) -> None:
    """Press Tab until the control is focused (the clerk's way there), failing after ``limit`` presses."""
    target = page.locator(selector)
    for _ in range(limit):
        if target.evaluate("(el) => el === document.activeElement"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector}")


def _choose_by_arrows(page: Page, selector: str, value: str) -> None:
    """Move the focused select down with the arrow key until it shows ``value``; each move posts the
    panel, which is awaited before the next key (the focus stays on the select through the swap)."""
    for _ in range(100):
        if page.locator(selector).input_value() == value:
            return
        page.keyboard.press("ArrowDown")
        expect(page.locator(".htmx-request")).to_have_count(0)  # the swap is done
        expect(page.locator(selector)).to_be_focused()
    raise AssertionError(f"{value} not reached in {selector}")


def test_the_address_is_picked_from_the_dictionary_by_keyboard(
    demo_node: DemoNode, terminal: BrowserContext
) -> None:
    page = terminal.new_page()
    log_in(page, demo_node, demo_node.clerk)
    page.goto(demo_node.base_url + "/registry/move-within/")
    prefecture = f'select[name="{KEY}prefecture"]'
    expect(page.locator(prefecture)).to_be_visible()
    page.locator("#id_address").focus()
    _tab_to(page, prefecture)
    _choose_by_arrows(page, prefecture, "42")
    municipality = f'select[name="{KEY}municipality"]'
    expect(page.locator(municipality)).to_be_visible()
    _tab_to(page, municipality)  # the focus stayed on the prefecture select through the swap
    _choose_by_arrows(page, municipality, "422029")
    area = page.locator(f'select[name="{KEY}area"]')
    expect(area).to_be_visible()
    _tab_to(page, f'select[name="{KEY}area"]')
    page.keyboard.press("ArrowDown")  # the first 町字 after 「（市区町村まで）」
    chosen = area.locator("option:checked").inner_text()
    town = chosen.split("（")[0]
    _tab_to(page, "button:has-text('この住所を使う')")
    page.keyboard.press("Enter")
    expect(page.locator("#id_address")).to_have_value(re.compile(f"^長崎県佐世保市{re.escape(town)}$"))
    expect(page.locator("#id_postal_code")).to_have_value(re.compile(r"^\d{7}$"))

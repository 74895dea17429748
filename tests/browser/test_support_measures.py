"""支援措置 in a real browser: once registered, the person's record opens with a modal notice.

Standard 2.2.4-a / controls.md C-37: wherever a protected person appears, a banner and a pop-up that
takes the focus and can be dismissed with the keyboard.
"""

from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import BrowserContext, expect

from tests.browser.conftest import DemoNode, a_current_resident, log_in

pytestmark = pytest.mark.browser

SUPPORT_DUTY = "支援措置事務"


def test_a_protected_persons_record_opens_with_a_focused_notice_closed_by_escape(
    demo_node: DemoNode, terminal: BrowserContext
) -> None:
    person = a_current_resident(demo_node, nth=1)
    page = terminal.new_page()
    log_in(page, demo_node, demo_node.support_officer)

    page.goto(demo_node.base_url + "/registry/support-measures/new/")
    page.locator("#id_purpose").select_option(label=SUPPORT_DUTY)
    page.get_by_label("申出者の宛名番号").fill(person["atena_number"])
    page.get_by_role("checkbox").first.check()
    page.get_by_label("受付日").fill(date.today().isoformat())
    page.get_by_label("支援開始日（仮支援措置の場合は空欄）").fill(date.today().isoformat())
    with page.expect_navigation():
        page.get_by_role("button", name="登録").first.press("Enter")
    expect(page.locator("main")).to_contain_text("支援措置（番号")

    page.goto(demo_node.base_url + "/registry/lookup/")
    # The officer opens the record under their own duty: the selector offers no other (C-8).
    page.locator("#id_purpose").select_option(label=SUPPORT_DUTY)
    page.get_by_label("宛名番号").fill(person["atena_number"])
    with page.expect_navigation():
        page.get_by_label("宛名番号").press("Enter")

    popup = page.get_by_role("dialog", name="支援措置の対象者")
    expect(popup).to_be_visible()
    expect(popup.get_by_role("button", name="確認しました")).to_be_focused()
    page.keyboard.press("Escape")
    expect(popup).to_be_hidden()
    expect(page.locator("#support-banner")).to_contain_text("支援措置の対象者です")

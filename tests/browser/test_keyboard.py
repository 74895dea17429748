"""Every screen can be operated by keyboard alone (standard 2.3.2-a), checked in a real browser.

For each account of the demo node the test opens every screen its home page links to, and the screens
those link to in turn (same node, GET, HTML), plus the search results and a person's record, which are
reached by POST. On each screen it presses Tab from the top until the focus comes round again and checks
that every visible, enabled control (link, button, field, list, check box, ``summary``, and what an opened
``details`` holds) was reached, that no control has a positive ``tabindex`` (which would reorder the Tab
sequence) and that a focused control is drawn with a focus indicator. Radio buttons are one Tab stop per
group (arrows move inside a group). Django's admin (マスタ管理) is Django's own screen set and is not crawled.
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.conftest import Account, DemoNode, a_current_resident, log_in

pytestmark = pytest.mark.browser

# Opens every disclosure (<details>, whose summary a keyboard user opens with Enter), marks each control with
# data-kb (its number) and returns the stops, with a radio group folded into one stop that any of its radios
# reaches.
_MARK_CONTROLS = """() => {
  document.querySelectorAll('details').forEach((d) => { d.open = true; });
  const selector = 'a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]';
  const visible = (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
  const stops = [];
  const groups = {};
  document.querySelectorAll(selector).forEach((el, n) => {
    el.dataset.kb = String(n);
    if (!visible(el) || el.disabled || el.getAttribute('tabindex') === '-1') return;
    if (el.type === 'radio' && el.name) {
      const key = (el.form ? el.form.id || 'form' : 'page') + '|' + el.name;
      (groups[key] = groups[key] || []).push(el);
      return;
    }
    stops.push({kb: String(n), what: el.outerHTML.slice(0, 160), tabindex: el.getAttribute('tabindex')});
  });
  for (const radios of Object.values(groups)) {
    const first = radios.find((r) => r.checked) || radios[0];
    const kb = radios.map((r) => r.dataset.kb).join(',');
    stops.push({kb: kb, what: first.outerHTML.slice(0, 160), tabindex: null});
  }
  return stops;
}"""

_FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body || !el.dataset.kb) return null;
  const style = getComputedStyle(el);
  const indicated = style.outlineStyle !== 'none' || style.boxShadow !== 'none';
  return {kb: el.dataset.kb, indicated: indicated, what: el.outerHTML.slice(0, 160)};
}"""


def _links_on(page: Page, base_url: str) -> list[str]:
    """The same-node links of the page (path and query only), in page order, without the admin site."""
    hrefs: list[str] = page.eval_on_selector_all(
        "main a[href]", "els => els.map(e => e.getAttribute('href'))"
    )
    base = urlsplit(base_url)
    found = []
    for href in hrefs:
        target = urlsplit(urljoin(page.url, href))
        if (target.scheme, target.netloc) != (base.scheme, base.netloc) or target.path.startswith("/admin/"):
            continue
        found.append(target.path + (f"?{target.query}" if target.query else ""))
    return found


def check_keyboard_reach(page: Page) -> None:
    """Tab from the top of the page round to the start again; every control must be reached, visibly."""
    stops = page.evaluate(_MARK_CONTROLS)
    reordered = [stop["what"] for stop in stops if stop["tabindex"] not in (None, "0")]
    assert not reordered, f"{page.url}: a positive tabindex reorders the Tab sequence: {reordered}"
    page.evaluate("() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); }")
    page.locator("body").focus()
    reached: set[str] = set()
    unmarked: list[str] = []
    first = None
    for _ in range(3 * len(stops) + 10):  # a date field takes one Tab per part (year, month, day)
        page.keyboard.press("Tab")
        focused = page.evaluate(_FOCUSED)
        if focused is None:
            continue
        if focused["kb"] == first:
            break
        first = first or focused["kb"]
        reached.add(focused["kb"])
        if not focused["indicated"]:
            unmarked.append(focused["what"])
    missed = [stop["what"] for stop in stops if not reached & set(stop["kb"].split(","))]
    assert not missed, f"{page.url}: not reachable with Tab: {missed}"
    assert not unmarked, f"{page.url}: focused controls drawn without a focus indicator: {unmarked}"


def _crawl(page: Page, node: DemoNode, account: Account) -> list[str]:
    """Check the account's home page and every screen reachable from it in two steps; the paths checked."""
    log_in(page, node, account)
    page.goto(node.base_url + "/")
    checked = ["/"]
    check_keyboard_reach(page)
    queue = [(link, 1) for link in _links_on(page, node.base_url)]
    seen = {"/", *(link for link, _ in queue)}
    while queue:
        path, steps = queue.pop(0)
        response = page.goto(node.base_url + path)
        if response is None or "text/html" not in (response.headers.get("content-type") or ""):
            continue  # a CSV or PDF download, not a screen
        check_keyboard_reach(page)
        checked.append(path)
        if steps < 2:  # the menus the home page names, and the screens they name
            for link in _links_on(page, node.base_url):
                if link not in seen:
                    seen.add(link)
                    queue.append((link, steps + 1))
    return checked


@pytest.mark.parametrize("who", ["clerk", "reviewer", "support_officer", "admin"])
def test_every_screen_an_account_reaches_is_operable_by_keyboard(
    demo_node: DemoNode, terminal: BrowserContext, who: str
) -> None:
    page = terminal.new_page()
    checked = _crawl(page, demo_node, getattr(demo_node, who))
    assert len(checked) >= 3, checked  # the home page and at least two of the account's screens
    if who == "clerk":  # the 住民記録 and 証明書 menus and their screens (56 on 2026-11-24)
        assert {"/registry/", "/registry/move-in/", "/certificates/issue/"} <= set(checked), checked


def test_search_results_and_a_record_are_operable_by_keyboard(
    demo_node: DemoNode, terminal: BrowserContext
) -> None:
    person = a_current_resident(demo_node, nth=2)
    page = terminal.new_page()
    log_in(page, demo_node, demo_node.clerk)
    page.goto(demo_node.base_url + "/registry/search/")
    check_keyboard_reach(page)
    page.locator("#id_purpose").select_option(label="住民記録窓口事務")
    page.locator("#id_kana_name").fill(f"{person['surname_kana']} {person['given_name_kana']}")
    page.locator("#id_birth_date").fill(person["birth_date"])
    with page.expect_navigation():
        page.locator("#id_birth_date").press("Enter")
    expect(page.locator("table.results")).to_be_visible()
    check_keyboard_reach(page)
    row = page.locator("table.results tbody tr").filter(has_text=person["atena_number"])
    row.get_by_role("button", name="照会").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="住民票（現在）")).to_be_visible()
    check_keyboard_reach(page)

"""axe-core (bundled by axe-playwright-python) on a page in the browser tests: no serious or critical finding."""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

BLOCKING = {"serious", "critical"}


def serious_violations(page: Page) -> list[str]:
    """One line per serious or critical axe finding: rule, impact and the first offending elements."""
    results = Axe().run(page)
    found = []
    for violation in results.response["violations"]:
        if violation.get("impact") in BLOCKING:
            targets = ", ".join(str(node.get("target")) for node in violation.get("nodes", [])[:3])
            found.append(f"{violation['id']} ({violation['impact']}): {violation['help']} at {targets}")
    return found


def assert_accessible(page: Page) -> None:
    found = serious_violations(page)
    assert not found, "axe found:\n" + "\n".join(found)


def tab_to(page: Page, selector: str, presses: int = 40) -> None:
    """Presses Tab until `selector` has the focus: it must be reachable by keyboard alone."""
    for _ in range(presses):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{selector} never got the focus after {presses} presses of Tab")

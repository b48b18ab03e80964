"""Helpers of the browser tests: logging in, screenshots, axe-core checks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from webapp_helpers import SeededApp

AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def log_in(page: Any, app: SeededApp, user: str = "coordinator") -> None:
    """Log in through the form like a person (keyboard and clicks)."""
    page.goto("/login")
    page.get_by_label("Username").fill(user)
    page.get_by_label("Password").fill(app.passwords[user])
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/")


def shot(page: Any, name: str) -> None:
    """Keep a screenshot as a test artifact."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Serious and critical WCAG 2.1 A/AA violations found by axe-core on the current page."""
    if not AXE.exists():
        pytest.skip("axe-core is missing: run scripts/setup.d/chromium.sh (make test does)")
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate("""async () => {
        const r = await axe.run(document, {runOnly: {type: 'tag',
            values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
    }""")
    return [v for v in result if v["impact"] in ("serious", "critical")]

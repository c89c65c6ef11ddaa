"""Test fixtures: real Redis, and the real processes of the stack (action server, Rasa with the trained
model, gateway with its embedded worker) started the way `make run` starts them, on free ports.

tests/actions is not collected here: the custom actions' tests need rasa_sdk, which is not in this (3.11)
venv; `make actions-test` runs them in a 3.10 venv of their own. Polling is ops.local_stack.wait_until."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis as redis_sync
import yaml
from playwright.sync_api import Browser, sync_playwright
from prometheus_client.parser import text_string_to_metric_families

from ops.local_stack import TEST_REDIS_PORT, LocalStack, trained_model, wait_until
from ops.stack import ROOT
from tests.figures import REPORT

Stack = LocalStack
__all__ = ["REDIS_PORT", "ROOT", "Stack", "counter", "make_stack", "post", "wait_until"]
REDIS_PORT = TEST_REDIS_PORT

collect_ignore = ["actions"]

CHROMIUM = "/usr/bin/chromium"
# Screenshots go to results/ (not tracked) unless REFRESH_DOCS_SCREENSHOTS=1 asks to refresh the documentation's.
SHOTS = (
    ROOT / "docs" / "screenshots"
    if os.environ.get("REFRESH_DOCS_SCREENSHOTS") == "1"
    else ROOT / "results" / "screenshots"
)
SHOTS.mkdir(parents=True, exist_ok=True)
# Redis databases of the tests (one module at a time empties its own): 15/14 and 12/11 here, 13 the rasa
# conversation tests, 10/9 the handoff and inbox tests, 8/7/6/5/3 the messenger tests, 4/2 and 1 the
# broadcast tests; 0 is left to `make run`.
GATEWAY_DB = 15
RASA_DB = 14
COLD_GATEWAY_DB = 12
COLD_RASA_DB = 11


def make_stack(
    model: Path, gateway_db: int = GATEWAY_DB, rasa_db: int = RASA_DB, **overrides: object
) -> LocalStack:
    """A stack on free ports; tests that run their own stack give it its own Redis databases."""
    return LocalStack.create(model, gateway_db, rasa_db, **{"web_reply_wait_seconds": 20, **overrides})


@pytest.fixture(scope="session")
def model() -> Path:
    return Path(os.environ["HELPDESK_MODEL"]) if os.environ.get("HELPDESK_MODEL") else trained_model()


@pytest.fixture(scope="session", autouse=True)
def clean_redis() -> None:
    for db in (GATEWAY_DB, RASA_DB, COLD_GATEWAY_DB, COLD_RASA_DB):
        redis_sync.Redis(port=TEST_REDIS_PORT, db=db).flushdb()


@pytest.fixture(scope="session")
def redis_client() -> redis_sync.Redis:
    return redis_sync.Redis(port=TEST_REDIS_PORT, db=GATEWAY_DB)


@pytest.fixture(scope="session")
def stack(model: Path) -> Iterator[Stack]:
    """The whole helpdesk, up and ready, shared by the tests of a session."""
    stack = make_stack(model)
    stack.start("actions", "rasa", "gateway")
    try:
        stack.wait_gateway()
        stack.wait_ready()
        yield stack
    finally:
        stack.stop_all()


@pytest.fixture
def sender() -> str:
    return f"test-{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="session")
def responses() -> dict[str, dict[str, dict[str, object]]]:
    """Every response of the domain by name and language: {"utter_greet": {"ro": {...}, "it": {...}}}."""
    found: dict[str, dict[str, dict[str, object]]] = {}
    for path in sorted((ROOT / "bot" / "domain").glob("*.yml")):
        for name, variants in (yaml.safe_load(path.read_text()).get("responses") or {}).items():
            by_language: dict[str, dict[str, object]] = {}
            for variant in variants:
                conditions = variant.get("condition") or []
                language = next((c["value"] for c in conditions if c["name"] == "language"), "ro")
                by_language[language] = variant
            found[name] = by_language
    return found


def counter(stack: Stack, name: str, **labels: str) -> float:
    """A counter's value in the gateway's /metrics now (0 before its first increment)."""
    exposed = httpx.get(f"{stack.gateway}/metrics", timeout=10).text
    return sum(
        sample.value
        for family in text_string_to_metric_families(exposed)
        for sample in family.samples
        if sample.name == name and sample.labels == labels
    )


def post(stack: Stack, sender: str, text: str, **extra: object) -> httpx.Response:
    return httpx.post(f"{stack.gateway}/webhooks/web", json={"sender": sender, "text": text, **extra}, timeout=40)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, one per test module (the pages' browser tests)."""
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: make test installs it (ops/browser.sh)")
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-quic",
            ],
        )
        yield browser
        browser.close()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the figures the tests measured (triage recall and false alarms...)."""
    if REPORT:
        terminalreporter.section("measured")
        for line in REPORT:
            terminalreporter.write_line(line)

"""An officer's work in /docs, in a real browser: headless Debian Chromium driven by
Playwright against a real ``accident-online serve`` process on 127.0.0.1 (SQLite).

Every request the page makes to a host other than the loopback is blocked and fails the
test, and so does any Content-Security-Policy violation: the docs must work on a police
intranet with no way out. The steps are small helpers on ``OfficersDesk`` (open,
authorize, execute an operation with parameters and a body, read the answer), so that a
new step of the work is a line in the test.

Set ``ACCIDENT_ONLINE_SCREENSHOTS_DIR`` to a directory to keep screenshots of the desk
(the README's come from ``ACCIDENT_ONLINE_SCREENSHOTS_DIR=docs``).
"""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, Locator, Page, Playwright, Route, sync_playwright

from accident_online.apidocs.openapi import OFFICERS_TAG
from accident_online.intake.schemas import EXAMPLE_REPORT
from accident_online_testing.processes import command, free_port, stop, wait_ready
from service_processes import cli, service_environment, tiny_png

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}
ADMIN_PASSWORD = "browser-admin-password"
OFFICER = "officer.wang"
OFFICER_PASSWORD = "browser-officer-password"
# What an officer writes in place of the example's placeholders.
DECISION = {
    "liabilities": [{"party": 0, "grade": "none"}, {"party": 1, "grade": "full"}],
    "facts": "乙车在东昌路由西向东行驶至柳园路口变更车道时，未让甲车先行，与甲车右前侧发生刮擦。",
    "legal_basis": "《中华人民共和国道路交通安全法实施条例》第四十四条第二款",
}
# Swagger UI waits for the server; a step that takes longer than this is broken.
STEP_TIMEOUT_MS = 15_000


# --- the service --------------------------------------------------------------------


@dataclass
class Service:
    url: str
    case_id: str
    case_number: str


def _seed(env: dict[str, str], url: str) -> Service:
    """Centers, an admin and an officer, an app partner, and one case queued with its photos."""
    cli(env, "seed")
    cli(env, "users", "add", "browser.admin", "--role", "admin", "--password-stdin",
        stdin=ADMIN_PASSWORD + "\n")  # fmt: skip
    with httpx.Client(base_url=url, timeout=30) as client:

        def token(**form: str) -> dict[str, str]:
            answer = client.post("/v1/auth/token", data=form)
            assert answer.status_code == 200, answer.text
            return {"Authorization": f"Bearer {answer.json()['access_token']}"}

        admin = token(grant_type="password", username="browser.admin", password=ADMIN_PASSWORD)
        made = client.post(
            "/v1/admin/users",
            json={"username": OFFICER, "password": OFFICER_PASSWORD, "role": "officer",
                  "center_id": "dongchangfu"},
            headers=admin,
        )  # fmt: skip
        assert made.status_code == 201, made.text
        partner = client.post(
            "/v1/partners", json={"id": "app-lc", "kind": "app", "name": "App"}, headers=admin
        )
        assert partner.status_code == 201, partner.text
        app = token(
            grant_type="client_credentials",
            client_id=partner.json()["client_id"],
            client_secret=partner.json()["client_secret"],
        )
        body = copy.deepcopy(EXAMPLE_REPORT)
        del body["agreed_liability"]
        body["occurred_at"] = (datetime.now(UTC) - timedelta(minutes=10)).isoformat()
        filed = client.post("/v1/reports", json=body, headers={**app, "Idempotency-Key": "b-1"})
        assert filed.status_code == 201, filed.text
        case = filed.json()
        # Each party confirms on their own phone: only then do the photos queue the case.
        for index in range(len(case["parties"])):
            confirmed = client.post(
                f"/v1/cases/{case['id']}/confirmations",
                json={"party": index, "method": "sms_code",
                      "confirmed_at": datetime.now(UTC).isoformat()},
                headers=app,
            )  # fmt: skip
            assert confirmed.status_code == 201, confirmed.text
        photos = [("overview_front", None), ("overview_rear", None), ("collision_point", None),
                  ("plate", 0), ("plate", 1)]  # fmt: skip
        for number, (kind, party) in enumerate(photos):
            form = {"kind": kind} if party is None else {"kind": kind, "party": str(party)}
            uploaded = client.post(
                f"/v1/cases/{case['id']}/evidence",
                data=form,
                files={"file": (f"{kind}.png", tiny_png(number), "image/png")},
                headers=app,
            )
            assert uploaded.status_code == 201, uploaded.text
        assert uploaded.json()["status"] == "queued"
    return Service(url=url, case_id=case["id"], case_number=case["number"])


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """One real server process on a SQLite file of its own; stopped by its pid."""
    var = tmp_path_factory.mktemp("browser-var")
    env = service_environment(
        f"sqlite+aiosqlite:///{var / 'desk.db'}",
        var,
        jwt_secret="browser-" + "b" * 40,
        ACCIDENT_ONLINE_LOG_JSON="false",
        ACCIDENT_ONLINE_RUN_DELIVERY_WORKER="false",
    )
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    cli(env, "migrate")
    process: subprocess.Popen[bytes] | None = None
    with (var / "server.log").open("wb") as log:
        try:
            process = subprocess.Popen(
                command("serve", "--host", "127.0.0.1", "--port", str(port)),
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
            wait_ready(url, process)
            yield _seed(env, url)
        finally:
            if process is not None:
                stop(process)


# --- the browser --------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        yield _launch(playwright)


def _launch(playwright: Playwright) -> Browser:
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class OfficersDesk:
    """Swagger UI as an officer uses it, one small step per method."""

    def __init__(self, browser: Browser, url: str) -> None:
        self.url = url
        self.context = browser.new_context(
            viewport={"width": 1280, "height": 900}, locale="zh-CN", accept_downloads=True
        )
        self.context.set_default_timeout(STEP_TIMEOUT_MS)
        self.outside: list[str] = []
        self.executions = 0
        self.context.route("**/*", self._only_loopback)
        # A violation of the page's Content-Security-Policy is a request the page wanted
        # and did not get, or a script it could not run: both fail the test.
        self.context.add_init_script(
            "window.__violations = [];"
            "document.addEventListener('securitypolicyviolation', e =>"
            " window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));"
        )
        self.page: Page = self.context.new_page()

    def _only_loopback(self, route: Route) -> None:
        host = urlsplit(route.request.url).hostname or ""
        if host in LOOPBACK:
            route.continue_()
        else:
            self.outside.append(route.request.url)
            route.abort()

    def close(self) -> None:
        self.context.close()

    # steps

    def open(self, path: str = "/docs") -> None:
        self.page.goto(self.url + path)

    def wait_for_operations(self) -> None:
        self.page.locator(".opblock").first.wait_for()

    def tags(self) -> list[str]:
        tags = self.page.locator("h3.opblock-tag")
        return [str(tags.nth(i).get_attribute("data-tag")) for i in range(tags.count())]

    def authorize(self, username: str, password: str) -> None:
        """Authorize → the password flow's username and password → Authorize → Close."""
        self.page.locator(".auth-wrapper button.authorize").click()
        dialog = self.page.locator(".modal-ux")
        flow = dialog.locator(".auth-container").filter(has_text="password").first
        flow.locator("input#oauth_username").fill(username)
        flow.locator("input#oauth_password").fill(password)
        with self.page.expect_response(lambda r: r.url.endswith("/v1/auth/token")) as signed_in:
            flow.locator("button.authorize").click()
        assert signed_in.value.status == 200, signed_in.value.text()
        flow.locator("button", has_text="Logout").wait_for()
        dialog.locator("button.btn-done", has_text="Close").first.click()

    def operation(self, method: str, path: str) -> Locator:
        """The operation's block in the officers' tag."""
        section = self.page.locator(".opblock-tag-section").filter(
            has=self.page.locator(f'h3.opblock-tag[data-tag="{OFFICERS_TAG}"]')
        )
        block = section.locator(f".opblock-{method.lower()}").filter(
            has=self.page.locator(f'.opblock-summary-path[data-path="{path}"]')
        )
        if not block.locator(".opblock-body").count():
            block.locator(".opblock-summary").first.click()
        return block

    def execute(
        self,
        method: str,
        path: str,
        params: dict[str, str] | None = None,
        body: Any | None = None,
    ) -> Answer:
        """Fills in the operation's parameters (and JSON body), presses Execute, and returns
        the answer the browser received; checks that Swagger UI shows its status."""
        block = self.operation(method, path)
        try_out = block.locator("button.try-out__btn", has_text="Try it out")
        if try_out.count():
            try_out.click()
        for name, value in (params or {}).items():
            block.locator(f'tr[data-param-name="{name}"] input').fill(value)
        if body is not None:
            editor = block.locator("textarea.body-param__text")
            editor.fill(
                body if isinstance(body, str) else json.dumps(body, ensure_ascii=False, indent=2)
            )
        clear = block.locator("button.btn-clear")
        if clear.count():
            clear.click()
        with self.page.expect_response(
            lambda r: r.request.method == method.upper() and "/v1/" in r.url
        ) as received:
            block.locator("button.execute").click()
        self.executions += 1
        response = received.value
        answer = Answer(response.status, response.headers, response.body())
        shown = block.locator(".live-responses-table tbody .response-col_status").first
        assert shown.inner_text().strip().startswith(str(answer.status))
        return answer

    def download_answer(self, method: str, path: str) -> tuple[str, bytes]:
        """Downloads the answer as an officer would: Swagger UI's "Download file" link under
        an attachment (Content-Disposition: attachment), else the Download button of the
        body it shows as text. Its file name and bytes."""
        answer = self.operation(method, path).locator(".live-responses-table tbody")
        link = answer.locator("a[download], button.download-contents").first
        with self.page.expect_download() as downloading:
            link.click()
        download = downloading.value
        return download.suggested_filename, Path(download.path()).read_bytes()

    def screenshot(self, name: str, top: Locator | None = None) -> None:
        """Keeps a PNG of what the officer sees (scrolled so that ``top`` is at the top)
        when ACCIDENT_ONLINE_SCREENSHOTS_DIR is set; small, as the README shows them."""
        directory = os.environ.get("ACCIDENT_ONLINE_SCREENSHOTS_DIR")
        if not directory:
            return
        from PIL import Image

        if top is not None:
            top.first.evaluate("element => element.scrollIntoView()")
        target = Path(directory) / f"officer-desk-{name}.png"
        self.page.screenshot(path=str(target))
        with Image.open(target) as image:
            image.convert("RGB").quantize(colors=64).save(target, optimize=True)

    def violations(self) -> list[str]:
        return list(self.page.evaluate("window.__violations"))


@pytest.fixture
def desk(browser: Browser, service: Service) -> Iterator[OfficersDesk]:
    desk = OfficersDesk(browser, service.url)
    yield desk
    desk.close()


# --- the tests ----------------------------------------------------------------------


def test_an_officer_decides_a_case_in_docs(desk: OfficersDesk, service: Service) -> None:
    desk.open()
    desk.wait_for_operations()
    assert desk.page.title() == "accident-online 远程定责"
    assert desk.tags()[0] == OFFICERS_TAG
    desk.authorize(OFFICER, OFFICER_PASSWORD)
    desk.screenshot("operations", desk.page.locator(f'h3.opblock-tag[data-tag="{OFFICERS_TAG}"]'))

    # The officer's work is four Execute clicks, copying only the case id and the ETag:
    # claim the next case, look at the contact sheet, decide, download the document.
    claimed = desk.execute(
        "POST", "/v1/centers/{center_id}/queue/next", params={"center_id": "dongchangfu"}
    )
    assert claimed.status == 200
    case = claimed.json()
    assert case["id"] == service.case_id
    assert case["status"] == "under_review"
    assert re.search(r"\+08:00$", case["reported_at"])
    assert [party["label"] for party in case["parties"]] == ["甲", "乙"]
    assert all(item["view_url"] for item in case["evidence"])
    etag = claimed.headers["etag"]

    sheet = desk.execute(
        "GET", "/v1/cases/{case_id}/evidence/sheet", params={"case_id": case["id"]}
    )
    assert sheet.status == 200
    assert sheet.headers["content-type"] == "image/jpeg"
    assert int(sheet.headers["content-length"]) > 10_000
    shown = desk.operation("GET", "/v1/cases/{case_id}/evidence/sheet").locator(
        ".live-responses-table img"
    )
    shown.first.wait_for()
    assert shown.first.evaluate("image => image.complete && image.naturalWidth") > 0
    desk.screenshot("sheet", shown)

    decision = "/v1/cases/{case_id}/decision"
    # Not the officer's work: the documented example, sent unchanged, is refused.
    unchanged = desk.execute("POST", decision, params={"case_id": case["id"], "If-Match": etag})
    assert unchanged.status == 422, "the example's placeholders must be refused"
    decided = desk.execute(
        "POST", decision, params={"case_id": case["id"], "If-Match": etag}, body=DECISION
    )
    assert decided.status == 200, decided.body
    assert decided.json()["status"] == "decided"
    assert decided.json()["decision"]["liabilities"][1]["grade"] == "full"
    desk.screenshot("decision", desk.operation("POST", decision))

    document = desk.execute(
        "GET", "/v1/cases/{case_id}/decision/document", params={"case_id": case["id"]}
    )
    assert document.status == 200
    assert document.headers["content-type"] == "application/pdf"
    assert "attachment" in document.headers["content-disposition"]
    assert document.headers["x-verification-hash"]
    filename, pdf = desk.download_answer("GET", "/v1/cases/{case_id}/decision/document")
    assert filename == f"{case['number']}.pdf"
    assert pdf.startswith(b"%PDF")
    assert desk.executions == 5  # the officer's four, and the refused example

    assert desk.outside == []
    assert desk.violations() == []


# ReDoc's sidebar always shows Redocly's logo from its CDN (no option turns it off); the
# page's policy refuses it before any request is made, and the link text remains.
REDOC_LOGO = "img-src https://cdn.redoc.ly/redoc/logo-mini.svg"


def test_redoc_renders_without_leaving_the_service(desk: OfficersDesk) -> None:
    desk.open("/redoc")
    desk.page.get_by_text(OFFICERS_TAG).first.wait_for()
    desk.page.locator("h2", has_text="作出责任认定").first.wait_for()

    assert desk.outside == []
    assert set(desk.violations()) <= {REDOC_LOGO}

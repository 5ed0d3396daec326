"""The docs pages and the OpenAPI text officers read: served by the service itself, under a
policy that keeps them on its origin, Chinese first, their operations in one tag in the
order of the work, and every documented error with examples of its own codes."""

from __future__ import annotations

import base64
import hashlib
import re
from html.parser import HTMLParser
from typing import Any

import pytest

from accident_online.apidocs.openapi import OFFICER_WORK, OFFICERS_TAG
from accident_online.kit.problems import AppError

PAGES = ["/docs", "/redoc", "/docs/oauth2-redirect"]
CJK = re.compile(r"[\u4e00-\u9fff]")
LATIN_WORD = re.compile(r"[A-Za-z]{3,}")


class _Resources(HTMLParser):
    """Every URL a page loads (scripts, styles, icons) and its inline scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline_scripts: list[str] = []
        self._in_inline_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name in ("src", "href", "spec-url"):
            if values.get(name):
                self.urls.append(str(values[name]))
        self._in_inline_script = tag == "script" and not values.get("src")
        if self._in_inline_script:
            self.inline_scripts.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_inline_script = False

    def handle_data(self, data: str) -> None:
        if self._in_inline_script:
            self.inline_scripts[-1] += data


def _resources(html: str) -> _Resources:
    parser = _Resources()
    parser.feed(html)
    return parser


@pytest.mark.parametrize("path", PAGES)
async def test_docs_pages_load_nothing_from_elsewhere_and_cannot_be_framed(client, path) -> None:
    page = await client.get(path)
    resources = _resources(page.text)
    policy = page.headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))

    assert page.status_code == 200
    assert page.headers["x-frame-options"] == "DENY"
    assert directives["default-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["connect-src"] == "'self'"
    assert "http" not in policy
    assert all(url.startswith("/") and not url.startswith("//") for url in resources.urls)
    for url in resources.urls:
        assert (await client.get(url)).status_code == 200, url
    # An inline script runs only if the policy names its hash: exactly those on the page.
    allowed = set(re.findall(r"'sha256-([^']+)'", directives["script-src"]))
    assert allowed == {
        base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        for script in resources.inline_scripts
    }


async def test_swagger_ui_is_ours_and_calls_no_validator(client) -> None:
    page = (await client.get("/docs")).text

    assert "<title>accident-online 远程定责</title>" in page
    assert 'href="/docs/assets/favicon.svg"' in page
    assert '"validatorUrl": null' in page
    assert '"persistAuthorization": true' in page
    assert "/docs/assets/vendor/swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower()


async def test_the_assets_are_served_with_their_types(client) -> None:
    bundle = await client.get("/docs/assets/vendor/swagger-ui-bundle.js")
    redoc = await client.get("/docs/assets/vendor/redoc.standalone.js")
    css = await client.get("/docs/assets/vendor/swagger-ui.css")
    icon = await client.get("/docs/assets/favicon.svg")
    missing = await client.get("/docs/assets/vendor/nothing.js")

    assert bundle.headers["content-type"].startswith("text/javascript")
    assert "SwaggerUIBundle" in bundle.text
    assert redoc.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    assert icon.headers["content-type"] == "image/svg+xml"
    assert icon.content.startswith(b"<svg")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
    ]


async def test_the_officers_tag_comes_first_in_the_order_of_the_work(client) -> None:
    document = (await client.get("/openapi.json")).json()
    tagged = [
        (method, path)
        for method, path, operation in _operations(document)
        if OFFICERS_TAG in operation.get("tags", [])
    ]
    served = {(method, path) for method, path, _ in _operations(document)}

    assert document["tags"][0]["name"] == OFFICERS_TAG
    assert CJK.search(document["tags"][0]["description"])
    assert LATIN_WORD.search(document["tags"][0]["description"])
    assert tagged == [step for step in OFFICER_WORK if step in served]
    assert ("post", "/v1/cases/{case_id}/responses") not in tagged


async def test_officers_read_chinese_first_then_english(client) -> None:
    document = (await client.get("/openapi.json")).json()
    unexplained = []
    for method, path, operation in _operations(document):
        if OFFICERS_TAG not in operation.get("tags", []):
            continue
        texts = {"summary": operation["summary"], "description": operation["description"]}
        for parameter in operation.get("parameters", []):
            texts[parameter["name"]] = parameter.get("description", "")
        for name, text in texts.items():
            chinese, english = CJK.search(text), LATIN_WORD.search(text)
            if not (chinese and english and chinese.start() < english.start()):
                unexplained.append(f"{method.upper()} {path} {name}")
    assert unexplained == []


async def test_a_grade_says_what_it_means_in_chinese(client) -> None:
    schemas = (await client.get("/openapi.json")).json()["components"]["schemas"]
    grade = schemas["LiabilityIn"]["properties"]["grade"]["description"]

    for value, meaning in [
        ("full", "全部"),
        ("primary", "主要"),
        ("equal", "同等"),
        ("secondary", "次要"),
        ("none", "无"),
    ]:
        assert re.search(rf"`{value}`\s*{meaning}", grade), value


async def test_if_match_is_required_where_its_absence_is_428(client) -> None:
    document = (await client.get("/openapi.json")).json()
    required = {
        (method, path)
        for method, path, operation in _operations(document)
        for parameter in operation.get("parameters", [])
        if parameter["name"] == "If-Match" and parameter["required"] is True
    }
    optional = [
        (method, path)
        for method, path, operation in _operations(document)
        for parameter in operation.get("parameters", [])
        if parameter["name"] == "If-Match" and not parameter["required"]
    ]

    assert required == {
        ("post", "/v1/cases/{case_id}/release"),
        ("post", "/v1/cases/{case_id}/late-report"),
        ("post", "/v1/cases/{case_id}/evidence-requests"),
        ("post", "/v1/cases/{case_id}/referral"),
        ("post", "/v1/cases/{case_id}/decision"),
        ("post", "/v1/cases/{case_id}/review"),
    }
    assert optional == []
    for method, path in required:
        assert "428" in document["paths"][path][method]["responses"]


def _server_codes() -> dict[str, int]:
    """Every problem code the server uses, with its status."""
    codes: dict[str, int] = {}
    pending: list[type[AppError]] = [AppError]
    while pending:
        error = pending.pop()
        codes[error.code] = error.status_code
        pending.extend(error.__subclasses__())
    return codes


async def test_every_error_example_is_a_code_the_server_uses_for_that_status(client) -> None:
    document = (await client.get("/openapi.json")).json()
    codes = _server_codes()
    wrong, without_examples = [], []
    for method, path, operation in _operations(document):
        for status, response in operation["responses"].items():
            if not status.isdigit() or int(status) < 400:
                continue
            examples = response["content"]["application/problem+json"].get("examples", {})
            if not examples:
                without_examples.append(f"{method.upper()} {path} {status}")
            for example in examples.values():
                value = example["value"]
                if codes.get(value["code"]) != int(status) or value["status"] != int(status):
                    wrong.append(f"{method.upper()} {path} {status}: {value['code']}")
    assert wrong == []
    assert without_examples == []


async def test_each_status_of_the_decision_shows_its_own_codes(client) -> None:
    document = (await client.get("/openapi.json")).json()
    responses = document["paths"]["/v1/cases/{case_id}/decision"]["post"]["responses"]

    def shown(status: str) -> set[str]:
        examples = responses[status]["content"]["application/problem+json"]["examples"]
        return {example["value"]["code"] for example in examples.values()}

    examples = responses["404"]["content"]["application/problem+json"]["examples"]
    assert examples["case-not-found"]["value"]["instance"] == "/v1/cases/{case_id}/decision"
    assert shown("404") == {"case-not-found"}
    assert {"already-decided", "not-holding-case", "invalid-transition"} <= shown("409")
    assert shown("412") == {"version-mismatch"}
    assert shown("428") == {"precondition-required"}
    assert {"validation-error", "invalid-liability"} <= shown("422")
    assert "examples" not in document["components"]["schemas"]["Problem"]

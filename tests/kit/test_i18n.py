"""Problems speak the reader's language: Chinese for people, English on request or for
partner systems; the ``code`` never changes.

The catalogue tests fail for a new error class or a new ``_()`` text until its Chinese
translation is in ``locales/zh_CN/LC_MESSAGES/messages.po``: run ``make messages``, fill
in the new ``msgstr`` entries, and delete the ``#, fuzzy`` line of any Babel guessed
(see kit/i18n.py).
"""

from __future__ import annotations

import importlib
import pkgutil
import re
import uuid
from pathlib import Path

import httpx
import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg

import accident_online
from accident_online.auth.principal import Principal
from accident_online.decisions.liability import (
    InvalidLiability,
    LiabilityGrade,
    PartyLiability,
    resolve_shares,
)
from accident_online.kit.i18n import (
    CHINESE,
    ENGLISH,
    negotiate,
    placeholders,
    read_catalogue,
    translate,
)
from accident_online.kit.problems import AppError
from accident_online.models.user import Role

ROOT = Path(__file__).resolve().parents[2]
CJK = re.compile(r"[\u4e00-\u9fff]")
PARTNER = Principal(subject="partner:insurer-x", role=Role.insurer, partner_id="insurer-x")


def every_error_class() -> list[type[AppError]]:
    """Every AppError subclass in the service, after importing every module of it."""
    for module in pkgutil.walk_packages(accident_online.__path__, "accident_online."):
        if not module.name.endswith(".__main__"):  # that one runs the command line
            importlib.import_module(module.name)
    found: list[type[AppError]] = []
    pending: list[type[AppError]] = [AppError]
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return [cls for cls in found if cls.__module__.startswith("accident_online.")]


@pytest.fixture(scope="module")
def chinese() -> Catalog:
    return read_catalogue(CHINESE)


def assert_translated(catalogue: Catalog, text: str, where: str) -> None:
    entry = catalogue.get(str(getattr(text, "msgid", text)))
    assert entry is not None, f"{where}: {text!r} is not in the zh_CN catalogue"
    assert entry.string, f"{where}: {text!r} has no translation"
    assert not entry.fuzzy, f"{where}: {text!r} is fuzzy: review it and drop the flag"
    assert CJK.search(str(entry.string)), f"{where}: {entry.string!r} is not Chinese"


def test_every_error_class_has_a_chinese_title_and_detail(chinese: Catalog) -> None:
    classes = every_error_class()
    # The walk reaches the domain packages, not just the kit's base classes.
    assert {"case-not-found", "invalid-signature", "not-ready", "rate-limited"} <= {
        cls.code for cls in classes
    }
    for cls in classes:
        assert_translated(chinese, cls.title, f"{cls.__qualname__}.title")
        assert_translated(chinese, cls.default_detail, f"{cls.__qualname__}.default_detail")


def extracted_messages() -> dict[str, str]:
    """Every _() text in the code, found the way `make messages` finds it."""
    with (ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config, "babel.cfg")
    source = ROOT / "src" / "accident_online"
    messages: dict[str, str] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        source, method_map, options_map
    ):
        assert isinstance(message, str), f"{filename}:{lineno}: plural forms are not used"
        messages[message] = f"{filename}:{lineno}"
    return messages


def test_every_marked_text_is_in_the_catalogue_with_its_placeholders(chinese: Catalog) -> None:
    messages = extracted_messages()
    assert "The case is {status}, not under review." in messages
    for text, where in messages.items():
        assert_translated(chinese, text, where)
        translation = str(chinese.get(text).string)  # type: ignore[union-attr]
        assert placeholders(translation) == placeholders(text), (where, translation)


def test_catalogue_has_no_fuzzy_untranslated_or_stale_entries(chinese: Catalog) -> None:
    messages = extracted_messages()
    for entry in chinese:
        if not entry.id:
            continue
        assert entry.id in messages, f"{entry.id!r} is no longer in the code: run make messages"
        assert entry.string, f"{entry.id!r} is untranslated"
        assert not entry.fuzzy, f"{entry.id!r} is fuzzy: review it and drop the flag"
    assert not chinese.obsolete


def test_every_reason_a_liability_decision_fails_is_translated_with_its_values() -> None:
    twice = [PartyLiability(0, LiabilityGrade.FULL), PartyLiability(0, LiabilityGrade.NONE)]
    with pytest.raises(InvalidLiability) as raised:
        resolve_shares(twice, party_count=3)

    reason = raised.value.reason
    english = "parties [0] appear more than once; parties [1, 2] have no liability"
    assert str(raised.value) == english
    assert translate(reason, ENGLISH) == str(raised.value)
    assert translate(reason, CHINESE) == "当事人 [0] 出现了不止一次; 当事人 [1, 2] 没有责任认定"


@pytest.mark.parametrize(
    ("header", "locale"),
    [
        ("zh-CN", CHINESE),
        ("zh", CHINESE),
        ("zh-Hans", CHINESE),
        ("zh-Hans-CN", CHINESE),
        ("ZH-cn", CHINESE),
        ("zh_CN", CHINESE),
        ("en", ENGLISH),
        ("en-US", ENGLISH),
        ("en-GB,en;q=0.9", ENGLISH),
        ("en;q=0.4, zh-CN;q=0.8", CHINESE),
        ("zh-CN;q=0.1, en", ENGLISH),
        ("fr, en;q=0.5", ENGLISH),
        ("fr-FR, de", "default"),
        ("fr, *;q=0.5, en;q=0.1", "default"),
        ("en;q=0, zh;q=0", "default"),
        ("en;q=abc, zh-CN;q=0.5", CHINESE),
        ("", "default"),
        (None, "default"),
        (";;,,q=1,", "default"),
        ("x" * 10_000, "default"),
    ],
)
@pytest.mark.parametrize("default", [CHINESE, ENGLISH])
def test_negotiation_honours_q_values_and_falls_back_to_the_callers_default(
    header: str | None, locale: str, default: str
) -> None:
    assert negotiate(header, default=default) == (default if locale == "default" else locale)


async def unknown_case(client: httpx.AsyncClient, headers: dict[str, str]) -> httpx.Response:
    return await client.get(f"/v1/cases/{uuid.uuid4()}", headers=headers)


async def test_zh_cn_and_en_give_the_same_code_in_two_languages(
    client: httpx.AsyncClient, officer_headers: dict[str, str]
) -> None:
    chinese = await unknown_case(client, {**officer_headers, "Accept-Language": "zh-CN"})
    english = await unknown_case(client, {**officer_headers, "Accept-Language": "en"})

    assert chinese.status_code == english.status_code == 404
    assert chinese.json()["code"] == english.json()["code"] == "case-not-found"
    assert chinese.json()["type"] == english.json()["type"]
    assert chinese.json()["title"] == "案件不存在"
    assert chinese.json()["detail"] == "没有您可查看的此 ID 的案件。"
    assert english.json()["title"] == "Case not found"
    assert english.json()["detail"] == "No case with that id is visible to you."
    assert chinese.headers["content-language"] == "zh-CN"
    assert english.headers["content-language"] == "en"
    assert "accept-language" in chinese.headers["vary"].lower()
    # Chinese reaches the client as written, in UTF-8.
    assert "案件不存在".encode() in chinese.content


async def test_people_without_the_header_read_chinese(
    client: httpx.AsyncClient, officer_headers: dict[str, str]
) -> None:
    officer = await unknown_case(client, officer_headers)
    anonymous = await client.get("/v1/cases")

    assert officer.json()["title"] == "案件不存在"
    assert officer.headers["content-language"] == "zh-CN"
    assert anonymous.status_code == 401
    assert anonymous.json()["code"] == "unauthorized"
    assert anonymous.json()["title"] == "未登录"
    assert anonymous.headers["content-language"] == "zh-CN"


async def test_partner_systems_without_the_header_read_english_unless_they_ask(
    client: httpx.AsyncClient, auth_headers, make_partner
) -> None:
    await make_partner("insurer-x", kind="insurer", insurer_codes=["XIC"])
    partner = auth_headers(PARTNER)
    plain = await unknown_case(client, partner)
    asked = await unknown_case(client, {**partner, "Accept-Language": "zh-CN,en;q=0.5"})

    assert plain.json()["title"] == "Case not found"
    assert plain.headers["content-language"] == "en"
    assert asked.json()["title"] == "案件不存在"
    assert asked.json()["code"] == plain.json()["code"] == "case-not-found"


async def test_an_expired_or_forged_partner_token_still_gets_english(
    client: httpx.AsyncClient, auth_headers
) -> None:
    token = auth_headers(PARTNER)["Authorization"]
    forged = token[: token.rindex(".")] + ".c2lnbmF0dXJl"

    response = await client.get("/v1/cases", headers={"Authorization": forged})

    assert response.status_code == 401
    assert response.json()["code"] == "invalid-token"
    assert response.json()["title"] == "Invalid or expired token"


async def test_details_with_values_are_translated_around_them(
    client: httpx.AsyncClient, officer_headers: dict[str, str]
) -> None:
    chinese = await client.get("/v1/admin/users", headers=officer_headers)
    english = await client.get(
        "/v1/admin/users", headers={**officer_headers, "Accept-Language": "en-US"}
    )

    assert chinese.status_code == english.status_code == 403
    assert chinese.json()["code"] == english.json()["code"] == "forbidden"
    assert chinese.json()["detail"] == "此操作需要以下角色之一：admin。"
    assert english.json()["detail"] == "This needs one of the roles: admin."


async def test_unknown_routes_and_methods_are_translated(client: httpx.AsyncClient) -> None:
    missing = await client.get("/v1/no-such-thing")
    wrong_method = await client.delete("/healthz", headers={"Accept-Language": "zh"})
    english = await client.get("/v1/no-such-thing", headers={"Accept-Language": "en"})

    assert (missing.json()["code"], missing.json()["title"]) == ("not-found", "未找到")
    assert missing.json()["detail"] == "此地址不存在任何内容。"
    assert wrong_method.status_code == 405
    assert wrong_method.json()["title"] == "不允许的请求方法"
    assert "GET" in wrong_method.headers["allow"]
    assert english.json()["title"] == "Not found"


async def test_validation_problem_is_translated_and_keeps_the_field_locations(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    chinese = await client.post("/v1/admin/users", json={}, headers=admin_headers)
    english = await client.post(
        "/v1/admin/users", json={}, headers={**admin_headers, "Accept-Language": "en"}
    )

    assert chinese.status_code == english.status_code == 422
    assert chinese.json()["code"] == english.json()["code"] == "validation-error"
    assert chinese.json()["title"] == "请求无效"
    assert chinese.json()["detail"] == "请求中有无效字段，详见 errors。"
    assert english.json()["title"] == "Invalid request"
    by_location = {tuple(error["loc"]): error for error in chinese.json()["errors"]}
    assert by_location[("body", "username")]["msg"] == "此字段为必填项"
    assert by_location[("body", "username")]["type"] == "missing"
    assert [e["loc"] for e in english.json()["errors"]] == [
        e["loc"] for e in chinese.json()["errors"]
    ]
    assert {e["msg"] for e in english.json()["errors"]} == {"Field required"}


async def test_pydantic_field_messages_are_translated_with_their_limits(
    client: httpx.AsyncClient, officer_headers: dict[str, str]
) -> None:
    chinese = await client.get("/v1/cases?limit=0", headers=officer_headers)
    english = await client.get(
        "/v1/cases?limit=0", headers={**officer_headers, "Accept-Language": "en"}
    )

    assert chinese.status_code == english.status_code == 422
    [zh_error] = chinese.json()["errors"]
    [en_error] = english.json()["errors"]
    assert zh_error["loc"] == en_error["loc"] == ["query", "limit"]
    assert zh_error["type"] == en_error["type"] == "greater_than_equal"
    assert zh_error["msg"] == "应大于或等于 1"
    assert en_error["msg"] == "Input should be greater than or equal to 1"


async def test_unexpected_error_is_a_translated_500(app, client: httpx.AsyncClient) -> None:
    async def explode() -> None:
        raise RuntimeError("internals")

    app.add_api_route("/test-only/explode", explode)
    chinese = await client.get("/test-only/explode")
    english = await client.get("/test-only/explode", headers={"Accept-Language": "en"})

    assert chinese.status_code == english.status_code == 500
    assert chinese.json()["code"] == english.json()["code"] == "internal-error"
    assert chinese.json()["title"] == "服务器内部错误"
    assert chinese.json()["detail"].startswith("服务器未能完成请求")
    assert chinese.headers["content-language"] == "zh-CN"
    assert english.json()["title"] == "Internal server error"
    assert english.headers["content-language"] == "en"
    assert "internals" not in chinese.text


async def test_body_refused_by_size_is_translated(
    client: httpx.AsyncClient, admin_headers: dict[str, str], settings
) -> None:
    too_big = b"x" * (settings.max_body_bytes + 1)
    headers = {**admin_headers, "content-type": "application/json"}

    chinese = await client.post("/v1/partners", content=too_big, headers=headers)
    english = await client.post(
        "/v1/partners", content=too_big, headers={**headers, "Accept-Language": "en"}
    )

    assert chinese.status_code == english.status_code == 413
    assert chinese.json()["code"] == english.json()["code"] == "payload-too-large"
    assert chinese.json()["title"] == "请求体过大"
    assert chinese.json()["detail"] == f"请求体超过 {settings.max_body_bytes} 字节。"
    assert chinese.headers["content-language"] == "zh-CN"
    assert english.json()["detail"] == (
        f"The request body is larger than {settings.max_body_bytes} bytes."
    )

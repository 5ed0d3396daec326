"""Reading photos: JPEG for every stored type, signed view links, the contact sheet, and
identity documents withheld from whoever sees their party's personal data masked."""

from __future__ import annotations

import hashlib
import io
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from PIL import Image
from sqlalchemy import update
from sqlmodel.ext.asyncio.session import AsyncSession

from accident_online.auth.principal import Principal
from accident_online.auth.service import principal_for_user
from accident_online.cases.evidence_links import EvidenceLinks, link_key
from accident_online.evidence.derived import JPEG_COPY, DerivedStore
from accident_online.evidence.storage import ContentStore
from accident_online.models.case import Case
from accident_online.models.user import Role, UserRole
from accident_online.settings import Settings
from service_processes import heic, jpeg, tiny_png, webp

JWT_TEST_KEY = "test-signing-key-" + "x" * 32  # as conftest.py signs tokens


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["code"] == code
    return body


async def upload(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    case_id: str,
    kind: str,
    data: bytes,
    party: int | None = None,
) -> dict[str, Any]:
    fields = {"kind": kind} if party is None else {"kind": kind, "party": str(party)}
    response = await client.post(
        f"/v1/cases/{case_id}/evidence",
        data=fields,
        files={"file": ("IMG_0001.HEIC", data, "application/octet-stream")},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def decoded(content: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(content))
    image.load()
    return image


@pytest.fixture
async def case(file_report) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    response = await file_report()
    assert response.status_code == 201, response.text
    return dict(response.json())


def derived_files(settings: Settings) -> list[Path]:
    root = settings.resolved_storage_dir / ".derived"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


# --- JPEG for every stored type -----------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "stored_type"),
    [
        pytest.param(heic, "image/heic", id="heic"),
        pytest.param(lambda note: tiny_png(7), "image/png", id="png"),
        pytest.param(webp, "image/webp", id="webp"),
    ],
)
async def test_accept_jpeg_gets_a_jpeg_whatever_was_stored(
    client, app_headers, officer_headers, case, make, stored_type
) -> None:
    photo = make(b"collision")
    uploaded = await upload(client, app_headers, case["id"], "collision_point", photo)
    assert uploaded["content_type"] == stored_type
    url = uploaded["content_url"]

    original = await client.get(url, headers=officer_headers)
    converted = await client.get(url, headers={**officer_headers, "Accept": "image/jpeg"})

    assert original.content == photo
    assert original.headers["content-type"] == stored_type
    assert converted.status_code == 200
    assert converted.headers["content-type"] == "image/jpeg"
    assert converted.headers["vary"] == "Accept"
    image = decoded(converted.content)
    assert image.format == "JPEG"
    assert image.size == decoded(photo).size
    assert converted.headers["etag"] != original.headers["etag"]
    again = await client.get(
        url,
        headers={
            **officer_headers,
            "Accept": "image/jpeg",
            "If-None-Match": converted.headers["etag"],
        },
    )
    assert again.status_code == 304


async def test_the_jpeg_copy_is_made_once_and_kept(
    client, app_headers, officer_headers, case, settings
) -> None:
    photo = heic(b"kept copy", size=(64, 48))
    uploaded = await upload(client, app_headers, case["id"], "overview_front", photo)
    url = uploaded["content_url"]
    first = await client.get(url, headers={**officer_headers, "Accept": "image/jpeg"})
    root = settings.resolved_storage_dir
    copy = root / DerivedStore(ContentStore(root)).of_photo(uploaded["sha256"], JPEG_COPY)
    assert copy.read_bytes() == first.content
    # Were it made again per request, this stand-in would not come back.
    stand_in = jpeg(b"stand-in")
    copy.write_bytes(stand_in)

    second = await client.get(url, headers={**officer_headers, "Accept": "image/jpeg"})

    assert second.content == stand_in
    assert derived_files(settings) == [copy]


@pytest.mark.parametrize(
    "accept",
    [None, "*/*", "image/heic", "image/heic, image/jpeg;q=0.5", "image/jpeg;q=0"],
)
async def test_without_a_preference_for_jpeg_the_original_bytes_come(
    client, app_headers, officer_headers, case, accept
) -> None:
    photo = heic(b"original")
    uploaded = await upload(client, app_headers, case["id"], "overview_rear", photo)
    headers = dict(officer_headers)
    if accept is not None:
        headers["Accept"] = accept

    response = await client.get(uploaded["content_url"], headers=headers)

    assert response.content == photo
    assert response.headers["content-type"] == "image/heic"


async def test_a_stored_jpeg_is_sent_as_it_is(client, app_headers, officer_headers, case) -> None:
    photo = jpeg(b"as it is")
    uploaded = await upload(client, app_headers, case["id"], "road", photo)

    response = await client.get(
        uploaded["content_url"], headers={**officer_headers, "Accept": "image/jpeg"}
    )

    assert response.content == photo


# --- view_url -------------------------------------------------------------------------------


async def test_every_listed_photo_has_a_link_that_opens_without_a_token(
    client, app_headers, officer_headers, case
) -> None:
    photos = {"collision_point": heic(b"point"), "road": tiny_png(3)}
    answers = {
        kind: await upload(client, app_headers, case["id"], kind, data)
        for kind, data in photos.items()
    }
    for answer in answers.values():
        assert answer["view_url"].startswith(
            f"http://testserver/v1/cases/{case['id']}/evidence/{answer['id']}/view?"
        )
        assert answer["withheld"] is False

    listed = (await client.get(f"/v1/cases/{case['id']}", headers=officer_headers)).json()
    links = {item["kind"]: item["view_url"] for item in listed["evidence"]}
    heic_view = await client.get(links["collision_point"])
    png_view = await client.get(links["road"], headers={"Authorization": "Bearer not-a-token"})

    assert heic_view.status_code == 200, heic_view.text
    assert heic_view.headers["content-type"] == "image/jpeg"
    assert decoded(heic_view.content).format == "JPEG"
    assert png_view.status_code == 200, png_view.text
    assert png_view.content == photos["road"]
    assert png_view.headers["content-type"] == "image/png"


async def test_the_claim_answer_lists_links_too(client, make_officer, queued_case) -> None:
    case = await queued_case()
    officer = await make_officer("officer.links")

    claimed = await client.post(f"/v1/cases/{case['id']}/claim", headers=officer.headers)

    assert claimed.status_code == 200, claimed.text
    evidence = claimed.json()["evidence"]
    assert len(evidence) == 5
    for item in evidence:
        assert (await client.get(item["view_url"])).status_code == 200


def _tampered(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = {key: values[0] for key, values in parse_qs(parts.query).items()}
    query.update(changes)
    return f"{parts.path}?{urlencode(query)}"


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"sig": "A" * 43}, id="signature"),
        pytest.param({"exp": str(int(time.time()) + 86_400)}, id="later expiry"),
        pytest.param({"m": "0"}, id="masking decision"),
        pytest.param({"exp": "soon"}, id="expiry not a number"),
        pytest.param({"m": "2"}, id="unknown masking decision"),
    ],
)
async def test_a_changed_link_is_403_link_invalid(
    client, app_headers, case, change: dict[str, str]
) -> None:
    uploaded = await upload(client, app_headers, case["id"], "road", tiny_png(11))

    response = await client.get(_tampered(uploaded["view_url"], **change))

    assert_problem(response, 403, "link-invalid")


async def test_a_link_to_another_photo_or_without_its_signature_is_invalid(
    client, app_headers, case
) -> None:
    first = await upload(client, app_headers, case["id"], "road", tiny_png(12))
    second = await upload(client, app_headers, case["id"], "other", tiny_png(13))
    query = urlsplit(first["view_url"]).query

    moved = await client.get(f"/v1/cases/{case['id']}/evidence/{second['id']}/view?{query}")
    bare = await client.get(f"/v1/cases/{case['id']}/evidence/{first['id']}/view")

    assert_problem(moved, 403, "link-invalid")
    assert_problem(bare, 403, "link-invalid")


async def test_an_expired_link_is_403_link_expired(client, app_headers, case) -> None:
    uploaded = await upload(client, app_headers, case["id"], "road", tiny_png(14))
    links = EvidenceLinks(key=link_key(JWT_TEST_KEY), ttl_seconds=600)
    expired = links.url(
        uuid.UUID(case["id"]), uuid.UUID(uploaded["id"]), full=True, now=time.time() - 601
    )

    response = await client.get(expired)

    assert_problem(response, 403, "link-expired")


async def test_links_expire_after_the_setting(client, app_headers, case, settings) -> None:
    settings.evidence_link_ttl_seconds = 120
    before = int(time.time())

    uploaded = await upload(client, app_headers, case["id"], "road", tiny_png(15))

    expires = int(parse_qs(urlsplit(uploaded["view_url"]).query)["exp"][0])
    assert before + 120 <= expires <= int(time.time()) + 120


async def test_the_link_route_declares_no_security_and_the_sheet_is_binary_jpeg(app) -> None:
    paths = app.openapi()["paths"]
    view = paths["/v1/cases/{case_id}/evidence/{evidence_id}/view"]["get"]
    sheet = paths["/v1/cases/{case_id}/evidence/sheet"]["get"]

    assert view["security"] == []  # public: the link is its own proof
    assert {p["name"] for p in view["parameters"]} == {"case_id", "evidence_id", "exp", "m", "sig"}
    assert sheet["responses"]["200"]["content"] == {
        "image/jpeg": {"schema": {"type": "string", "format": "binary"}}
    }
    assert sheet["summary"] == "证据照片联系表 · Contact sheet"


# --- identity documents follow masking ------------------------------------------------------

PARTY_0_INSURER = Principal(subject="partner:ins-picc", role=Role.insurer, partner_id="ins-picc")
PARTY_1_INSURER = Principal(subject="partner:ins-cpic", role=Role.insurer, partner_id="ins-cpic")
MEDIATION = Principal(subject="partner:med-lc", role=Role.mediation, partner_id="med-lc")
COURT = Principal(subject="partner:court-lc", role=Role.court, partner_id="court-lc")
ADMIN = Principal(subject="user:test-admin", role=Role.admin)
OFFICER = Principal(subject="user:test-officer", role=Role.officer, center_id="dongchangfu")
APP = Principal(subject="partner:app-lc", role=Role.app, partner_id="app-lc")

# Who sees which party's identity documents: exactly whose ID numbers they see unmasked.
SEES = [
    pytest.param(APP, {0, 1}, id="filing app"),
    pytest.param(OFFICER, {0, 1}, id="officer"),
    pytest.param(MEDIATION, {0, 1}, id="mediation"),
    pytest.param(COURT, {0, 1}, id="court"),
    pytest.param(PARTY_0_INSURER, {0}, id="insurer of party 0"),
    pytest.param(PARTY_1_INSURER, {1}, id="insurer of party 1"),
    pytest.param(ADMIN, set(), id="admin"),
]


@pytest.fixture
async def documented_case(
    client, app_headers, make_partner, make_user, file_report, session: AsyncSession
) -> dict[str, Any]:
    """A case with both parties' driving licences and a scene photo; its resolution
    set so mediation and the court may read it as well."""
    await make_partner("ins-picc", kind="insurer", insurer_codes=["PICC"])
    await make_partner("ins-cpic", kind="insurer", insurer_codes=["CPIC"])
    await make_partner("med-lc", kind="mediation")
    await make_partner("court-lc", kind="court")
    case = (await file_report()).json()
    photos = {
        "licence_0": await upload(
            client, app_headers, case["id"], "driving_licence", jpeg(b"licence 0"), 0
        ),
        "licence_1": await upload(
            client, app_headers, case["id"], "vehicle_licence", heic(b"licence 1"), 1
        ),
        "scene": await upload(client, app_headers, case["id"], "overview_front", jpeg(b"scene")),
    }
    # Tokens are checked against real accounts: the admin and the officer exist.
    people = {
        Role.admin: principal_for_user(await make_user("test-admin", role=UserRole.admin)),
        Role.officer: principal_for_user(await make_user("test-officer")),
    }
    return {"case": case, "photos": photos, "session": session, "people": people}


async def _readable_by_mediation_and_court(session: AsyncSession, case_id: str, role: Role) -> None:
    # A case goes to one mediation organisation and one court, which alone read it.
    sent_to = {
        Role.mediation: {"resolution": "mediation", "mediation_partner_id": "med-lc"},
        Role.court: {"resolution": "litigation", "court_partner_id": "court-lc"},
    }.get(role)
    if sent_to is not None:
        await session.exec(  # type: ignore[call-overload]
            update(Case).where(Case.id == uuid.UUID(case_id)).values(**sent_to)
        )
        await session.commit()


@pytest.mark.parametrize(("principal", "sees"), SEES)
async def test_identity_documents_follow_the_readers_masking(
    client, auth_headers, documented_case, principal: Principal, sees: set[int]
) -> None:
    case, photos = documented_case["case"], documented_case["photos"]
    await _readable_by_mediation_and_court(documented_case["session"], case["id"], principal.role)
    principal = documented_case["people"].get(principal.role, principal)
    headers = auth_headers(principal)

    record = (await client.get(f"/v1/cases/{case['id']}", headers=headers)).json()

    unmasked = {party["party"] for party in record["parties"] if not party["masked"]}
    assert unmasked == sees  # the same rule as the personal data in JSON
    listed = {item["id"]: item for item in record["evidence"]}
    for name, party in (("licence_0", 0), ("licence_1", 1), ("scene", None)):
        photo = photos[name]
        visible = party is None or party in sees
        item = listed[photo["id"]]
        assert item["withheld"] is (not visible)
        content = await client.get(photo["content_url"], headers=headers)
        as_jpeg = await client.get(
            photo["content_url"], headers={**headers, "Accept": "image/jpeg"}
        )
        if visible:
            assert content.status_code == 200, content.text
            assert hashlib.sha256(content.content).hexdigest() == photo["sha256"]
            assert as_jpeg.headers["content-type"] == "image/jpeg"
            assert (await client.get(item["view_url"])).status_code == 200
        else:
            assert_problem(content, 403, "evidence-withheld")
            assert_problem(as_jpeg, 403, "evidence-withheld")
            assert item["view_url"] is None


async def test_a_link_made_for_a_masked_reader_does_not_open_an_identity_document(
    client, documented_case
) -> None:
    """The link carries the reader's masking decision: one signed as an admin's (m=0)
    opens the scene photo but not a licence, even with a genuine signature."""
    case, photos = documented_case["case"], documented_case["photos"]
    links = EvidenceLinks(key=link_key(JWT_TEST_KEY), ttl_seconds=600)

    def link(name: str) -> str:
        return links.url(uuid.UUID(case["id"]), uuid.UUID(photos[name]["id"]), full=False)

    assert (await client.get(link("scene"))).status_code == 200
    assert_problem(await client.get(link("licence_1")), 403, "evidence-withheld")


async def test_an_unknown_photo_behind_a_genuine_link_is_404(client, case) -> None:
    links = EvidenceLinks(key=link_key(JWT_TEST_KEY), ttl_seconds=600)

    response = await client.get(links.url(uuid.UUID(case["id"]), uuid.uuid4(), full=True))

    assert_problem(response, 404, "evidence-not-found")


# --- the contact sheet ----------------------------------------------------------------------


def sheet_files(settings: Settings) -> list[Path]:
    return [
        p
        for p in derived_files(settings)
        if p.parent.parent.name == "sheets" and p.suffix == ".jpg"
    ]


async def test_the_sheet_shows_every_photo_labelled_and_is_kept(
    client, app_headers, officer_headers, case, settings
) -> None:
    kinds = [
        ("overview_front", None, heic(b"front", size=(400, 300))),
        ("overview_rear", None, jpeg(b"rear", size=(300, 400))),
        ("collision_point", None, webp(b"point")),
        ("plate", 0, tiny_png(1)),
        ("plate", 1, tiny_png(2)),
    ]
    for kind, party, data in kinds:
        await upload(client, app_headers, case["id"], kind, data, party)
    url = f"/v1/cases/{case['id']}/evidence/sheet"

    first = await client.get(url, headers=officer_headers)

    assert first.status_code == 200, first.text
    assert first.headers["content-type"] == "image/jpeg"
    sheet = decoded(first.content)
    assert sheet.format == "JPEG"
    assert sheet.size == (1504, 64 + 2 * (360 + 52 + 16) + 16)  # three to a row, two rows
    # Every label band carries dark text; the tile after the last photo stays blank.
    grey = sheet.convert("L")
    for position in range(6):
        row, column = divmod(position, 3)
        left, top = 16 + column * 496, 64 + row * 428 + 360
        darkest, _ = grey.crop((left, top, left + 480, top + 52)).getextrema()
        assert (darkest < 80) is (position < 5), position
    [stored] = sheet_files(settings)
    assert stored.read_bytes() == first.content

    stand_in = jpeg(b"stand-in")
    stored.write_bytes(stand_in)
    second = await client.get(url, headers=officer_headers)
    assert second.content == stand_in  # kept, not drawn again
    assert second.headers["etag"] == first.headers["etag"]
    assert (
        await client.get(url, headers={**officer_headers, "If-None-Match": first.headers["etag"]})
    ).status_code == 304

    await upload(client, app_headers, case["id"], "damage", jpeg(b"dent"), 1)
    third = await client.get(url, headers=officer_headers)
    assert third.headers["etag"] != first.headers["etag"]
    assert decoded(third.content).size == sheet.size
    assert len(sheet_files(settings)) == 2


async def test_a_masked_reader_gets_a_sheet_without_the_identity_documents(
    client, auth_headers, documented_case, settings
) -> None:
    case, photos = documented_case["case"], documented_case["photos"]
    url = f"/v1/cases/{case['id']}/evidence/sheet"

    people = documented_case["people"]
    officers = await client.get(url, headers=auth_headers(people[Role.officer]))
    admins = await client.get(url, headers=auth_headers(people[Role.admin]))
    insurers = await client.get(url, headers=auth_headers(PARTY_0_INSURER))

    assert {officers.status_code, admins.status_code, insurers.status_code} == {200}
    assert len({officers.headers["etag"], admins.headers["etag"], insurers.headers["etag"]}) == 3
    sources = {
        path.with_suffix(".jpg").read_bytes(): set(path.read_text().split())
        for path in (settings.resolved_storage_dir / ".derived" / "sheets").rglob("*.sources")
    }
    everything = {photos[name]["sha256"] for name in photos}
    assert sources[officers.content] == everything
    assert sources[admins.content] == {photos["scene"]["sha256"]}
    assert sources[insurers.content] == {photos["scene"]["sha256"], photos["licence_0"]["sha256"]}


async def test_a_case_without_photos_has_a_sheet_saying_so(client, officer_headers, case) -> None:
    response = await client.get(f"/v1/cases/{case['id']}/evidence/sheet", headers=officer_headers)

    assert response.status_code == 200
    assert decoded(response.content).format == "JPEG"


async def test_without_the_font_the_sheet_is_503_naming_it(
    client, app_headers, officer_headers, case, settings, tmp_path
) -> None:
    await upload(client, app_headers, case["id"], "road", tiny_png(21))
    settings.evidence_sheet_font = tmp_path / "no-such-font.ttc"

    response = await client.get(f"/v1/cases/{case['id']}/evidence/sheet", headers=officer_headers)

    body = assert_problem(response, 503, "sheet-font-missing")
    assert str(tmp_path / "no-such-font.ttc") in body["detail"]
    assert sheet_files(settings) == []


async def test_the_sheet_is_for_case_readers_only(client, case, auth_headers, make_partner) -> None:
    await make_partner("app-other", kind="app")
    other = Principal(subject="partner:app-other", role=Role.app, partner_id="app-other")

    hidden = await client.get(f"/v1/cases/{case['id']}/evidence/sheet", headers=auth_headers(other))
    anonymous = await client.get(f"/v1/cases/{case['id']}/evidence/sheet")

    assert_problem(hidden, 404, "case-not-found")
    assert_problem(anonymous, 401, "unauthorized")

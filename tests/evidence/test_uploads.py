"""POST /v1/cases/{id}/evidence and GET .../content through the API."""

from __future__ import annotations

import hashlib
import json
import struct
import uuid
import zlib
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import update
from sqlmodel.ext.asyncio.session import AsyncSession

from accident_online.auth.principal import Principal
from accident_online.evidence.staging import StagedUpload
from accident_online.evidence.storage import StoredBlob
from accident_online.models.case import Case
from accident_online.models.user import Role
from accident_online.settings import Settings
from cut_off import post_cut_off
from multipart_bodies import Parts, form_body
from service_processes import heic, jpeg, webp

OTHER_APP = Principal(subject="partner:app-other", role=Role.app, partner_id="app-other")
REQUIRED = [
    ("overview_front", None),
    ("overview_rear", None),
    ("collision_point", None),
    ("plate", 0),
    ("plate", 1),
]


def png(note: bytes = b"", *, size: int = 2) -> bytes:
    """A real size×size grey PNG; ``note`` goes into a tEXt chunk to vary or pad it."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", size, size, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"".join(b"\x00" + b"\x80" * size for _ in range(size)))
    text = chunk(b"tEXt", b"Comment\x00" + note) if note else b""
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + text
        + chunk(b"IDAT", pixels)
        + chunk(b"IEND", b"")
    )


PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
TEXT = "甲车右前侧刮擦，照片稍后补传。".encode()


async def upload(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    case_id: str,
    kind: str | None,
    data: bytes,
    party: int | str | None = None,
    *,
    declared: str = "image/jpeg",
) -> httpx.Response:
    fields: dict[str, str] = {}
    if kind is not None:
        fields["kind"] = kind
    if party is not None:
        fields["party"] = str(party)
    return await client.post(
        f"/v1/cases/{case_id}/evidence",
        data=fields,
        files={"file": ("IMG_0001.JPG", data, declared)},
        headers=headers,
    )


BOUNDARY = "ao-test-boundary"


def multipart(fields: dict[str, str], file: bytes | None = None) -> bytes:
    """A multipart body built by hand, for bodies httpx would not send."""
    body = b"".join(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    )
    if file is not None:
        body += (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n'
            "Content-Type: image/png\r\n\r\n"
        ).encode() + file
    return body


def closed(body: bytes) -> bytes:
    return body + f"\r\n--{BOUNDARY}--\r\n".encode()


MULTIPART = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}


def stored_files(settings: Settings) -> list[Path]:
    root = settings.resolved_storage_dir
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


async def evidence_of(client: httpx.AsyncClient, headers: dict[str, str], case_id: str) -> list:
    response = await client.get(f"/v1/cases/{case_id}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["evidence"]


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["code"] == code
    assert body["status"] == status
    return body


@pytest.fixture
async def case(file_report, confirm_parties) -> dict[str, Any]:
    """A report every party confirmed: what it still waits for is its photos."""
    response = await file_report()
    assert response.status_code == 201, response.text
    await confirm_parties(response.json())
    return response.json()


async def test_photos_alone_do_not_queue_a_case_a_party_has_not_confirmed(
    client, app_headers, file_report, confirm_parties
) -> None:
    case = (await file_report()).json()
    assert case["missing_confirmations"] == [0, 1]
    await confirm_parties(case, [0])
    for kind, party in (
        ("overview_front", None),
        ("overview_rear", None),
        ("collision_point", None),
        ("plate", 0),
        ("plate", 1),
    ):
        last = await upload(
            client,
            app_headers,
            case["id"],
            kind,
            png(f"{kind}{party}".encode()),
            party,
            declared="image/png",
        )
    assert last.status_code == 201, last.text
    assert (last.json()["status"], last.json()["missing"]) == ("awaiting_evidence", [])
    assert last.json()["missing_confirmations"] == [1]

    confirmed = await confirm_parties(case, [1])

    assert confirmed.json()["status"] == "queued"
    assert confirmed.json()["missing_confirmations"] == []
    assert confirmed.json()["determination_due_at"] is not None
    assert confirmed.json()["determination_overdue"] is False


async def test_the_required_photos_queue_the_case_and_missing_shrinks_with_each(
    client, app_headers, case, settings
) -> None:
    photos = [jpeg(b"front"), png(b"rear"), heic(b"point"), webp(b"plate 0"), jpeg(b"plate 1")]
    types = ["image/jpeg", "image/png", "image/heic", "image/webp", "image/jpeg"]
    missing_after = [
        ["overview_rear", "collision_point", "plate"],
        ["collision_point", "plate"],
        ["plate"],
        ["plate"],
        [],
    ]
    answers = []
    for (kind, party), photo, content_type, missing in zip(
        REQUIRED, photos, types, missing_after, strict=True
    ):
        # The declared type is ignored: every photo claims to be a JPEG.
        response = await upload(client, app_headers, case["id"], kind, photo, party)
        assert response.status_code == 201, response.text
        answer = response.json()
        assert answer["missing"] == missing
        assert answer["kind"] == kind
        assert answer["party"] == party
        assert answer["content_type"] == content_type
        assert answer["size"] == len(photo)
        assert answer["sha256"] == hashlib.sha256(photo).hexdigest()
        assert answer["content_url"] == f"/v1/cases/{case['id']}/evidence/{answer['id']}/content"
        assert response.headers["location"] == answer["content_url"]
        answers.append(answer)

    assert answers[3]["missing_evidence"] == [{"kind": "plate", "party": 1}]
    assert [a["status"] for a in answers] == ["awaiting_evidence"] * 4 + ["queued"]
    assert answers[-1]["missing_evidence"] == []

    shown = (await client.get(f"/v1/cases/{case['id']}", headers=app_headers)).json()
    assert shown["status"] == "queued"
    assert shown["queued_at"] is not None
    assert shown["missing"] == []
    assert shown["version"] == answers[-1]["version"]
    assert [e["id"] for e in shown["evidence"]] == [a["id"] for a in answers]

    events = (await client.get(f"/v1/cases/{case['id']}/events", headers=app_headers)).json()
    types_seen = [e["type"] for e in events["items"]]
    assert types_seen == (
        ["case.reported", "case.routed"]
        + ["case.confirmed"] * 2
        + ["evidence.added"] * 5
        + ["case.queued"]
    )
    added = events["items"][4]
    assert added["actor"] == "partner:app-lc"
    assert added["data"] == {
        "evidence_id": answers[0]["id"],
        "kind": "overview_front",
        "party": None,
        "sha256": answers[0]["sha256"],
        "size": answers[0]["size"],
        "content_type": "image/jpeg",
    }
    assert events["items"][-1]["data"] == {"from": "awaiting_evidence", "to": "queued"}
    assert len(stored_files(settings)) == 5


async def test_optional_photos_are_kept_without_changing_what_is_missing(
    client, app_headers, case
) -> None:
    response = await upload(client, app_headers, case["id"], "damage", png(b"dent"), 1)

    assert response.status_code == 201, response.text
    assert response.json()["missing"] == case["missing"]
    assert response.json()["status"] == "awaiting_evidence"


async def test_photos_may_be_added_to_a_queued_case(client, app_headers, case) -> None:
    for index, (kind, party) in enumerate(REQUIRED):
        await upload(client, app_headers, case["id"], kind, jpeg(b"%d" % index), party)

    response = await upload(client, app_headers, case["id"], "road", jpeg(b"markings"))

    assert response.status_code == 201, response.text
    assert response.json()["status"] == "queued"
    assert response.json()["missing"] == []


INVALID_FORMS = [
    pytest.param("plate", None, ["body", "party"], id="per-party kind without party"),
    pytest.param("damage", "", ["body", "party"], id="per-party kind with blank party"),
    pytest.param("plate", 2, ["body", "party"], id="party index past the parties"),
    pytest.param("plate", -1, ["body", "party"], id="negative party"),
    pytest.param("plate", "first", ["body", "party"], id="party not a number"),
    pytest.param("overview_front", 0, ["body", "party"], id="per-case kind with party"),
    pytest.param("selfie", None, ["body", "kind"], id="unknown kind"),
    pytest.param(None, None, ["body", "kind"], id="kind missing"),
]


@pytest.mark.parametrize(("kind", "party", "loc"), INVALID_FORMS)
async def test_invalid_fields_are_422_and_store_nothing(
    client, app_headers, case, settings, kind, party, loc
) -> None:
    response = await upload(client, app_headers, case["id"], kind, png(b"x"), party)

    body = assert_problem(response, 422, "validation-error")
    assert loc in [error["loc"] for error in body["errors"]]
    assert await evidence_of(client, app_headers, case["id"]) == []
    assert stored_files(settings) == []


async def test_a_form_without_file_is_422(client, app_headers, case, settings) -> None:
    response = await client.post(
        f"/v1/cases/{case['id']}/evidence",
        content=multipart({"kind": "overview_front"}) + f"--{BOUNDARY}--\r\n".encode(),
        headers={**app_headers, **MULTIPART},
    )

    body = assert_problem(response, 422, "validation-error")
    assert body["errors"] == [{"loc": ["body", "file"], "msg": "Field required", "type": "missing"}]


async def test_an_unexpected_field_is_422(client, app_headers, case) -> None:
    response = await client.post(
        f"/v1/cases/{case['id']}/evidence",
        content=closed(multipart({"kind": "road", "colour": "red"}, png())),
        headers={**app_headers, **MULTIPART},
    )

    body = assert_problem(response, 422, "validation-error")
    assert body["errors"][0]["loc"] == ["body", "colour"]


async def test_a_form_with_only_file_is_422_for_kind(client, app_headers, case) -> None:
    response = await client.post(
        f"/v1/cases/{case['id']}/evidence",
        files={"file": ("a.png", png(), "image/png")},
        headers=app_headers,
    )

    body = assert_problem(response, 422, "validation-error")
    assert body["errors"][0]["loc"] == ["body", "kind"]


@pytest.mark.parametrize(
    ("data", "declared"),
    [
        pytest.param(TEXT, "image/jpeg", id="text claiming to be jpeg"),
        pytest.param(PDF, "application/pdf", id="pdf"),
        pytest.param(PDF * 200, "image/png", id="large pdf stops early"),
        pytest.param(b"", "image/png", id="empty file"),
    ],
)
async def test_other_files_are_415_and_leave_nothing(
    client, app_headers, case, settings, data, declared
) -> None:
    response = await upload(
        client, app_headers, case["id"], "overview_front", data, declared=declared
    )

    body = assert_problem(response, 415, "unsupported-evidence-type")
    assert body["accepted"] == ["image/jpeg", "image/png", "image/heic", "image/heif", "image/webp"]
    assert await evidence_of(client, app_headers, case["id"]) == []
    assert stored_files(settings) == []


async def test_a_request_that_is_not_multipart_is_415(client, app_headers, case) -> None:
    response = await client.post(
        f"/v1/cases/{case['id']}/evidence",
        json={"kind": "overview_front"},
        headers=app_headers,
    )

    assert_problem(response, 415, "multipart-required")


async def test_a_truncated_multipart_body_is_400_and_leaves_nothing(
    client, app_headers, case, settings
) -> None:
    response = await client.post(
        f"/v1/cases/{case['id']}/evidence",
        content=multipart({"kind": "overview_front"}, png(b"p" * 4000)),
        headers={**app_headers, **MULTIPART},
    )

    assert_problem(response, 400, "malformed-upload")
    assert stored_files(settings) == []


async def test_a_file_over_the_limit_is_413_and_leaves_nothing(
    client, app_headers, case, settings
) -> None:
    settings.max_upload_bytes = 1024
    at_limit = png(b"a" * (1024 - len(png(b"a"))) + b"a")
    assert len(at_limit) == 1024
    over = png(b"b" * 1000)

    accepted = await upload(client, app_headers, case["id"], "overview_front", at_limit)
    refused = await upload(client, app_headers, case["id"], "overview_rear", over)

    assert accepted.status_code == 201, accepted.text
    body = assert_problem(refused, 413, "evidence-too-large")
    assert body["max_upload_bytes"] == 1024
    assert [e["kind"] for e in await evidence_of(client, app_headers, case["id"])] == [
        "overview_front"
    ]
    assert stored_files(settings) == [
        settings.resolved_storage_dir / h[:2] / h[2:4] / h
        for h in [hashlib.sha256(at_limit).hexdigest()]
    ]


async def test_a_body_declared_far_over_the_limit_is_refused_before_reading(
    client, app_headers, case, settings
) -> None:
    settings.max_upload_bytes = 1024

    response = await upload(client, app_headers, case["id"], "overview_front", png(b"c" * 70_000))

    assert_problem(response, 413, "evidence-too-large")
    assert stored_files(settings) == []


async def test_the_same_bytes_twice_make_two_rows_and_one_file(
    client, app_headers, case, settings
) -> None:
    photo = heic(b"both sides of the scratch")

    first = await upload(client, app_headers, case["id"], "damage", photo, 0)
    second = await upload(client, app_headers, case["id"], "damage", photo, 1)

    assert first.status_code == second.status_code == 201
    assert first.json()["id"] != second.json()["id"]
    assert first.json()["sha256"] == second.json()["sha256"]
    assert len(await evidence_of(client, app_headers, case["id"])) == 2
    assert len(stored_files(settings)) == 1


async def test_another_app_partners_case_is_404(
    client, make_partner, auth_headers, case, settings
) -> None:
    await make_partner("app-other", kind="app")

    response = await upload(client, auth_headers(OTHER_APP), case["id"], "road", png(b"r"))

    assert_problem(response, 404, "case-not-found")
    assert stored_files(settings) == []


async def test_an_unknown_case_is_404(client, app_headers) -> None:
    response = await upload(client, app_headers, str(uuid.uuid4()), "road", png())

    assert_problem(response, 404, "case-not-found")


@pytest.mark.parametrize("who", ["officer", "admin"])
async def test_only_the_app_uploads(client, case, officer_headers, admin_headers, who) -> None:
    headers = officer_headers if who == "officer" else admin_headers

    response = await upload(client, headers, case["id"], "road", png())

    assert_problem(response, 403, "forbidden")


async def test_a_decided_case_takes_no_more_photos(
    client, app_headers, case, session: AsyncSession, settings
) -> None:
    await session.exec(  # type: ignore[call-overload]
        update(Case).where(Case.id == uuid.UUID(case["id"])).values(status="decided")
    )
    await session.commit()

    response = await upload(client, app_headers, case["id"], "road", png())

    assert_problem(response, 409, "evidence-closed")
    assert stored_files(settings) == []


async def test_photos_an_officer_asked_for_are_struck_off_when_uploaded(
    client, app_headers, case, session: AsyncSession
) -> None:
    await session.exec(  # type: ignore[call-overload]
        update(Case)
        .where(Case.id == uuid.UUID(case["id"]))
        .values(
            requested_evidence=[{"kind": "damage", "party": 1}],
            evidence_request_message="请补拍乙车右前侧损伤。",
        )
    )
    await session.commit()
    for index, (kind, party) in enumerate(REQUIRED):
        last = await upload(client, app_headers, case["id"], kind, png(b"%d" % index), party)

    assert last.json()["status"] == "awaiting_evidence"
    assert last.json()["missing_evidence"] == [{"kind": "damage", "party": 1}]

    wrong_party = await upload(client, app_headers, case["id"], "damage", png(b"d0"), 0)
    assert wrong_party.json()["missing"] == ["damage"]
    done = await upload(client, app_headers, case["id"], "damage", png(b"d1"), 1)

    assert done.json()["status"] == "queued"
    assert done.json()["missing"] == []
    shown = (await client.get(f"/v1/cases/{case['id']}", headers=app_headers)).json()
    assert shown["evidence_request_message"] is None
    assert shown["missing_evidence"] == []


async def test_whoever_may_see_the_case_gets_the_exact_bytes(
    client, app_headers, officer_headers, auth_headers, case, make_officer
) -> None:
    photo = heic(b"collision point")
    uploaded = (await upload(client, app_headers, case["id"], "collision_point", photo)).json()
    url = uploaded["content_url"]

    for headers in (officer_headers, app_headers):
        response = await client.get(url, headers=headers)
        assert response.status_code == 200
        assert response.content == photo
        assert response.headers["content-type"] == "image/heic"
        assert response.headers["content-length"] == str(len(photo))
        assert response.headers["etag"] == f'"{hashlib.sha256(photo).hexdigest()}"'
        assert response.headers["cache-control"] == "private"
        assert response.headers["x-content-type-options"] == "nosniff"

    again = await client.get(
        url, headers={**officer_headers, "If-None-Match": response.headers["etag"]}
    )
    assert again.status_code == 304
    assert again.content == b""

    elsewhere = await client.get(
        url, headers=(await make_officer("linqing.officer", "linqing")).headers
    )
    assert_problem(elsewhere, 404, "case-not-found")
    anonymous = await client.get(url)
    assert_problem(anonymous, 401, "unauthorized")


async def test_unknown_evidence_is_404(client, app_headers, case) -> None:
    response = await client.get(
        f"/v1/cases/{case['id']}/evidence/{uuid.uuid4()}/content", headers=app_headers
    )

    assert_problem(response, 404, "evidence-not-found")


async def test_evidence_of_another_case_is_404(client, app_headers, case, file_report) -> None:
    uploaded = (await upload(client, app_headers, case["id"], "road", png(b"r"))).json()
    other = (await file_report()).json()

    response = await client.get(
        f"/v1/cases/{other['id']}/evidence/{uploaded['id']}/content", headers=app_headers
    )

    assert_problem(response, 404, "evidence-not-found")


async def test_an_interrupted_upload_leaves_no_file_and_no_row(
    app, client, app_headers, case, settings
) -> None:
    body = closed(multipart({"kind": "overview_front"}, png(b"z" * 200_000)))
    half = body[: len(body) // 2]
    status, answer = await post_cut_off(
        app,
        f"/v1/cases/{case['id']}/evidence",
        {**app_headers, **MULTIPART},
        [half[:50_000], half[50_000:]],
        length=len(body),
    )

    assert status == 400
    problem = json.loads(answer)
    assert problem["code"] == "upload-interrupted"
    assert await evidence_of(client, app_headers, case["id"]) == []
    assert stored_files(settings) == []


class CommitFailure:
    """Makes the request's commit fail (the database went away) once a file was placed."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.armed = False
        place, commit = StagedUpload.place, AsyncSession.commit

        async def place_then_arm(staged: StagedUpload) -> StoredBlob:
            placed = await place(staged)
            self.armed = True
            return placed

        async def commit_unless_armed(session: AsyncSession) -> None:
            if self.armed:
                self.armed = False
                raise RuntimeError("connection lost during commit")
            await commit(session)

        monkeypatch.setattr(StagedUpload, "place", place_then_arm)
        monkeypatch.setattr(AsyncSession, "commit", commit_unless_armed)


async def test_a_failed_commit_takes_the_placed_file_back_out(
    client, app_headers, case, settings, monkeypatch
) -> None:
    CommitFailure(monkeypatch)

    response = await upload(client, app_headers, case["id"], "road", png(b"lost"))

    assert_problem(response, 500, "internal-error")
    assert await evidence_of(client, app_headers, case["id"]) == []
    assert stored_files(settings) == []


async def test_a_failed_commit_keeps_bytes_another_row_refers_to(
    client, app_headers, case, settings, monkeypatch
) -> None:
    photo = png(b"kept")
    first = await upload(client, app_headers, case["id"], "road", photo)
    assert first.status_code == 201
    # The file went missing behind our back, so the failing upload places it anew; the
    # committed row still needs it.
    for path in stored_files(settings):
        path.unlink()
    CommitFailure(monkeypatch)

    response = await upload(client, app_headers, case["id"], "other", photo)

    assert_problem(response, 500, "internal-error")
    assert len(await evidence_of(client, app_headers, case["id"])) == 1
    assert len(stored_files(settings)) == 1


# --- a digest declared by the app -------------------------------------------------------


def declaration(data: bytes) -> dict[str, str]:
    return {"sha256": hashlib.sha256(data).hexdigest(), "size": str(len(data))}


def form(parts: Parts) -> bytes:
    """A closed multipart body of these parts in this order; bytes are the file."""
    return form_body(BOUNDARY, parts, file_type="image/png")


@pytest.mark.parametrize("where", ["before the file", "after the file"])
async def test_a_photo_matching_its_declaration_is_stored(
    client, app_headers, case, settings, where
) -> None:
    photo = png(b"declared by the phone")
    fields = declaration(photo)
    fields["sha256"] = fields["sha256"].upper()  # hex in either case
    declared = list(fields.items())
    parts: Parts = [("kind", "overview_front")]
    if where == "before the file":
        parts += [*declared, ("file", photo)]
    else:
        parts += [("file", photo), *declared]

    response = await client.post(
        f"/v1/cases/{case['id']}/evidence",
        content=form(parts),
        headers={**app_headers, **MULTIPART},
    )

    assert response.status_code == 201, response.text
    sha256 = hashlib.sha256(photo).hexdigest()
    assert response.json()["sha256"] == sha256
    assert stored_files(settings) == [
        settings.resolved_storage_dir / sha256[:2] / sha256[2:4] / sha256
    ]


@pytest.mark.parametrize("where", ["before the file", "after the file"])
@pytest.mark.parametrize(
    ("wrong", "field", "detail"),
    [
        ("sha256", "sha256", "The file's SHA-256 is "),
        ("shorter size", "size", "The file "),
        ("longer size", "size", "The file has "),
    ],
)
async def test_a_photo_unlike_its_declaration_is_422_and_stores_nothing(
    client, app_headers, case, settings, where, wrong, field, detail
) -> None:
    photo = png(b"y" * 300_000)
    fields = declaration(photo)
    if wrong == "sha256":
        fields["sha256"] = hashlib.sha256(b"another photo").hexdigest()
    else:
        fields["size"] = str(len(photo) + (-1 if wrong == "shorter size" else 1))
    parts: Parts = [("kind", "overview_front")]
    if where == "before the file":
        parts += [*fields.items(), ("file", photo)]
    else:
        parts += [("file", photo), *fields.items()]

    response = await client.post(
        f"/v1/cases/{case['id']}/evidence",
        content=form(parts),
        headers={**app_headers, **MULTIPART},
    )

    body = assert_problem(response, 422, "evidence-digest-mismatch")
    assert [error["loc"] for error in body["errors"]] == [["body", field]]
    assert body["detail"].startswith(detail)
    if wrong == "shorter size" and where == "before the file":
        # Stopped where the declared size ended, not at the end of the file.
        assert body["detail"].startswith("The file is longer than the ")
    assert await evidence_of(client, app_headers, case["id"]) == []
    assert stored_files(settings) == []


async def test_a_declared_size_over_the_limit_is_413_before_the_file_is_read(
    client, app_headers, case, settings
) -> None:
    settings.max_upload_bytes = 100_000
    photo = png(b"z" * 50_000)
    parts: Parts = [
        ("kind", "overview_front"),
        ("size", "100001"),
        ("file", photo),
    ]

    response = await client.post(
        f"/v1/cases/{case['id']}/evidence",
        content=form(parts),
        headers={**app_headers, **MULTIPART},
    )

    assert_problem(response, 413, "evidence-too-large")
    assert stored_files(settings) == []


@pytest.mark.parametrize(
    ("field", "value", "type_"),
    [
        ("sha256", "not a hash", "string_pattern_mismatch"),
        ("sha256", "ab" * 31, "string_pattern_mismatch"),
        ("size", "ten", "int_parsing"),
        ("size", "-1", "int_parsing"),
    ],
)
async def test_a_malformed_declaration_is_422_and_stores_nothing(
    client, app_headers, case, settings, field, value, type_
) -> None:
    photo = png(b"w")
    parts: Parts = [
        ("kind", "overview_front"),
        (field, value),
        ("file", photo),
    ]

    response = await client.post(
        f"/v1/cases/{case['id']}/evidence",
        content=form(parts),
        headers={**app_headers, **MULTIPART},
    )

    body = assert_problem(response, 422, "validation-error")
    assert [(error["loc"], error["type"]) for error in body["errors"]] == [(["body", field], type_)]
    assert stored_files(settings) == []

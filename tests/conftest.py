"""Test fixtures: every API test runs on SQLite and on PostgreSQL.

Each backend's database is made and migrated once per session; each test runs inside
one outer transaction that is rolled back afterwards, so tests never see each other.
"""

from __future__ import annotations

import copy
import uuid
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession

from accident_online.app import create_app
from accident_online.auth.principal import Principal
from accident_online.auth.schemas import UserCreate
from accident_online.auth.service import create_user, issue_access_token
from accident_online.centers.service import seed_default_centers
from accident_online.intake.schemas import EXAMPLE_REPORT
from accident_online.kit.db import Database, create_engine
from accident_online.kit.migrations import upgrade_to_head
from accident_online.kit.passwords import configure_hashing
from accident_online.models.user import Role, User, UserRole
from accident_online.partners.schemas import PartnerCreate, PartnerCreated
from accident_online.partners.service import register_partner
from accident_online.settings import Settings
from accident_online_testing.databases import PostgresUnavailable, sqlite_url, unique_name
from accident_online_testing.road import confirm_every_party, deliver_to_every_party
from service_processes import POSTGRES, postgres_unavailable, tiny_png

BACKENDS = ["sqlite", "postgresql"]
JWT_TEST_KEY = "test-signing-key-" + "x" * 32


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing() -> None:
    configure_hashing(time_cost=1, memory_kib=1024)


class DatabaseFactory:
    """Makes empty databases of one backend and drops them at the end of the session."""

    def __init__(self, backend: str, directory: Path) -> None:
        self.backend = backend
        self.directory = directory
        self.created: list[str] = []

    async def create(self) -> str:
        name = unique_name("ao_test")
        if self.backend == "sqlite":
            return sqlite_url(self.directory, name)
        try:
            url = await POSTGRES.create(name)
        except PostgresUnavailable as error:
            postgres_unavailable(error)
        self.created.append(name)
        return url

    async def drop_all(self) -> None:
        await POSTGRES.drop(*self.created)


@pytest.fixture(scope="session", params=BACKENDS)
async def database_factory(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[DatabaseFactory]:
    factory = DatabaseFactory(request.param, tmp_path_factory.mktemp(request.param))
    yield factory
    await factory.drop_all()


@pytest.fixture(scope="session")
def backend(database_factory: DatabaseFactory) -> str:
    return database_factory.backend


@pytest.fixture(scope="session")
async def database_url(database_factory: DatabaseFactory) -> str:
    """The session's database of this backend, migrated once and seeded with the centers."""
    url = await database_factory.create()
    engine = create_engine(url)
    try:
        await upgrade_to_head(engine)
        database = Database(engine, url=url)
        async with database.session(write=True) as session:
            await seed_default_centers(session)
    finally:
        await engine.dispose()
    return url


@pytest.fixture
async def fresh_database_url(database_factory: DatabaseFactory) -> str:
    """An empty, unmigrated database of this backend, for this test alone."""
    return await database_factory.create()


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
async def db_connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    async with engine.connect() as connection:
        transaction = await connection.begin()
        try:
            yield connection
        finally:
            await transaction.rollback()


@pytest.fixture
def database(db_connection: AsyncConnection, database_url: str) -> Database:
    return Database(db_connection, url=database_url)


@pytest.fixture
async def session(database: Database) -> AsyncIterator[AsyncSession]:
    """A session inside the test's transaction, for arranging data through the services."""
    async with database.session(write=True) as session:
        yield session


def make_settings(tmp_path: Path, database_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "env": "test",
        "database_url": database_url,
        "jwt_secret": JWT_TEST_KEY,
        "var_dir": tmp_path / "var",
        "storage_dir": tmp_path / "evidence",
        "webhook_retry_schedule": [0.05, 0.1, 0.2],
        "run_delivery_worker": False,
        "run_housekeeping": False,
        # Cheap argon2 in tests: the cost is a setting, the code path is the same.
        "password_hash_time_cost": 1,
        "password_hash_memory_kib": 1024,
        "webhook_timeout_seconds": 2.0,
        "log_json": False,
        **overrides,
    }
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return make_settings(tmp_path, database_url)


@pytest.fixture
def app(settings: Settings, database: Database):  # type: ignore[no-untyped-def]
    return create_app(settings, database=database)


@pytest.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 51000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


TokenFor = Callable[[Principal], dict[str, str]]


@pytest.fixture
def auth_headers(settings: Settings) -> TokenFor:
    """Headers carrying a token for a principal, as POST /v1/auth/token would issue it."""

    def headers(principal: Principal) -> dict[str, str]:
        token = issue_access_token(principal, key=JWT_TEST_KEY, ttl_seconds=600)
        return {"Authorization": f"Bearer {token.access_token}"}

    return headers


MakeUser = Callable[..., Awaitable[User]]


@pytest.fixture
def make_user(session: AsyncSession) -> MakeUser:
    async def make(
        username: str,
        password: str = "a-long-enough-password",
        role: UserRole = UserRole.officer,
        center_id: str | None = "dongchangfu",
        **fields: str,
    ) -> User:
        if role == UserRole.admin:
            center_id = None
        user = await create_user(
            session,
            UserCreate(
                username=username, password=password, role=role, center_id=center_id, **fields
            ),
        )
        await session.commit()
        return user

    return make


# Tokens are checked against the accounts (a token of an account that does not exist is
# refused), so the admin and officer of these headers exist.
@pytest.fixture
async def admin_headers(make_user: MakeUser, auth_headers: TokenFor) -> dict[str, str]:
    from accident_online.auth.service import principal_for_user

    user = await make_user("test-admin", role=UserRole.admin)
    return auth_headers(principal_for_user(user))


@pytest.fixture
async def officer_headers(make_user: MakeUser, auth_headers: TokenFor) -> dict[str, str]:
    from accident_online.auth.service import principal_for_user

    user = await make_user("test-officer", center_id="dongchangfu")
    return auth_headers(principal_for_user(user))


MakePartner = Callable[..., Awaitable[PartnerCreated]]


@pytest.fixture
def make_partner(session: AsyncSession) -> MakePartner:
    async def make(partner_id: str, kind: str = "app", **fields: object) -> PartnerCreated:
        data = PartnerCreate.model_validate(
            {"id": partner_id, "kind": kind, "name": f"Partner {partner_id}", **fields}
        )
        created = await register_partner(session, data, allow_private_targets=True)
        await session.commit()
        return created

    return make


@pytest.fixture
def settings_for(tmp_path: Path) -> Callable[..., Settings]:
    """Settings for another database than the session's (e.g. an empty or unreachable one)."""

    def build(database_url: str, **overrides: object) -> Settings:
        return make_settings(tmp_path, database_url, **overrides)

    return build


async def migrate_and_seed(url: str) -> None:
    engine = create_engine(url)
    try:
        await upgrade_to_head(engine)
        async with Database(engine, url=url).session(write=True) as session:
            await seed_default_centers(session)
    finally:
        await engine.dispose()


@pytest.fixture
async def committed_app(fresh_database_url: str, settings_for: Callable[..., Settings]):  # type: ignore[no-untyped-def]
    """An app on a database of its own whose requests really commit, for concurrency tests."""
    await migrate_and_seed(fresh_database_url)
    app = create_app(settings_for(fresh_database_url))
    yield app
    await app.state.database.dispose()


APP_PARTNER = Principal(subject="partner:app-lc", role=Role.app, partner_id="app-lc")


@pytest.fixture
async def app_headers(make_partner: MakePartner, auth_headers: TokenFor) -> dict[str, str]:
    """The mobile app backend, registered, and a token for it."""
    await make_partner("app-lc", kind="app")
    return auth_headers(APP_PARTNER)


@pytest.fixture
def report_body() -> Callable[..., dict[str, object]]:
    """A valid two-party report that happened ten minutes ago, with overrides."""
    from datetime import UTC, datetime, timedelta

    def build(**overrides: object) -> dict[str, object]:
        # The Swagger UI example is the base, so the example is known to be a valid report.
        body = copy.deepcopy(EXAMPLE_REPORT)
        del body["agreed_liability"]
        body["occurred_at"] = (datetime.now(UTC) - timedelta(minutes=10)).isoformat()
        body["description"] = "乙车变道时与甲车右前侧刮擦。"
        body.update(overrides)
        return body

    return build


@pytest.fixture
def file_report(client: httpx.AsyncClient, app_headers: dict[str, str], report_body):  # type: ignore[no-untyped-def]
    """Files a report as the app partner; returns the response."""

    async def file(body: dict[str, object] | None = None, key: str | None = None) -> httpx.Response:
        return await client.post(
            "/v1/reports",
            json=body or report_body(),
            headers={**app_headers, "Idempotency-Key": key or uuid.uuid4().hex},
        )

    return file


@pytest.fixture
def png() -> Callable[[int], bytes]:
    return tiny_png


@pytest.fixture
def upload_evidence(client: httpx.AsyncClient, app_headers: dict[str, str]):  # type: ignore[no-untyped-def]
    async def upload(
        case_id: str, kind: str, party: int | None = None, content: bytes | None = None
    ) -> httpx.Response:
        data = {"kind": kind} if party is None else {"kind": kind, "party": str(party)}
        files = {
            "file": (
                f"{kind}.png",
                content or tiny_png(zlib.crc32(f"{kind}{party}".encode()) % 65536),
                "image/png",
            )
        }
        return await client.post(
            f"/v1/cases/{case_id}/evidence", data=data, files=files, headers=app_headers
        )

    return upload


@pytest.fixture
def confirm_parties(client: httpx.AsyncClient, app_headers: dict[str, str]):  # type: ignore[no-untyped-def]
    """Every party of a case (or those given) confirms the report on their own phone."""

    async def confirm(case: dict[str, Any], parties: Iterable[int] | None = None) -> httpx.Response:
        return await confirm_every_party(client, case, app_headers, parties)

    return confirm


@pytest.fixture
def queued_case(file_report, upload_evidence, confirm_parties):  # type: ignore[no-untyped-def]
    """Files a report, every party confirms it and the required photos are uploaded: a case
    in its center's queue."""

    async def make(body: dict[str, object] | None = None) -> dict[str, object]:
        case = (await file_report(body)).json()
        await confirm_parties(case)
        for kind in ("overview_front", "overview_rear", "collision_point"):
            await upload_evidence(case["id"], kind)
        for party in range(len(case["parties"])):
            last = await upload_evidence(case["id"], "plate", party)
        assert last.json()["status"] == "queued", last.text
        return case

    return make


class Officer:
    def __init__(self, user: User, headers: dict[str, str]) -> None:
        self.user = user
        self.headers = headers

    def with_version(self, version: int | str) -> dict[str, str]:
        return {**self.headers, "If-Match": f'"{version}"'}


@pytest.fixture
def make_officer(make_user: MakeUser, auth_headers: TokenFor):  # type: ignore[no-untyped-def]
    from accident_online.auth.service import principal_for_user

    async def make(username: str, center_id: str = "dongchangfu", **fields: str) -> Officer:
        user = await make_user(username, center_id=center_id, **fields)
        return Officer(user, auth_headers(principal_for_user(user)))

    return make


DECISION = {
    "liabilities": [{"party": 0, "grade": "primary"}, {"party": 1, "grade": "secondary"}],
    "facts": "甲车未按规定让行，与乙车发生刮擦，两车受损。",
    "legal_basis": "《道路交通安全法》第三十八条；《道路交通事故处理程序规定》第六十条",
}


@pytest.fixture
def decided_case(client, queued_case, make_officer):  # type: ignore[no-untyped-def]
    """A queued case an officer determined (认定书): delivery and review windows next."""

    async def make(
        officer_name: str = "officer.decider", body: dict[str, object] | None = None
    ) -> dict[str, Any]:
        officer = await make_officer(officer_name)
        case = await queued_case(body)
        version = (
            await client.post(f"/v1/cases/{case['id']}/claim", headers=officer.headers)
        ).json()["version"]
        decided = await client.post(
            f"/v1/cases/{case['id']}/decision", json=DECISION, headers=officer.with_version(version)
        )
        assert decided.status_code == 200, decided.text
        return dict(decided.json())

    return make


@pytest.fixture
def final_case(client, app_headers, decided_case):  # type: ignore[no-untyped-def]
    """A determined case delivered to every party, each stating no objection: liability is
    final and each party may choose how compensation is settled."""

    async def make(
        officer_name: str = "officer.decider", body: dict[str, object] | None = None
    ) -> dict[str, Any]:
        case = await decided_case(officer_name, body)
        answer = await deliver_to_every_party(client, case, app_headers)
        assert answer.json()["status"] == "final", answer.text
        return dict(answer.json())

    return make

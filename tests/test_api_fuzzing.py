"""API fuzzing gate: schemathesis against the service's own OpenAPI document.

One real ``accident-online serve`` process per backend (a fresh SQLite file, a fresh
PostgreSQL database), seeded through the CLI and the API with a small world: accounts
and partners of every kind, a queued, a held and a decided case with their photos, a case
sent to the appraiser and one to the arbitration commission, and the outbound messages
they made. Then every operation of its ``GET /openapi.json`` is
fuzzed, signed in as each kind of caller, with schema-valid and schema-violating data
(the document's examples, schemathesis' coverage cases and generated ones) and every
check schemathesis has, plus ``bearer_token_required`` (its ``ignored_auth`` cannot
probe an OAuth2 scheme). Any failure fails the gate. The examples per operation are
bounded and the seed is fixed, so a run repeats; two to three minutes on two cores.

What a check cannot know about an operation is configured in ``OPERATION_RULES``, each
with its reason; where fuzzing would only repeat itself it is thinner
(``little_where_it_tells_little``). Nothing is excluded.
"""

from __future__ import annotations

import copy
import itertools
import json
import os
import subprocess
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import jwt
import pytest
import requests
import schemathesis
from schemathesis.core import NOT_SET

from accident_online.app import create_app
from accident_online.intake.schemas import EXAMPLE_REPORT
from accident_online.kit.signing import sign
from accident_online.settings import Settings
from accident_online_testing.processes import command, free_port, stop, wait_ready
from service_processes import cli, postgres_database, service_environment, tiny_png

BACKENDS = ["sqlite", "postgresql"]
# Every kind of caller, signed in the way it really signs in (password or client credentials).
CALLERS = [
    "admin", "officer", "app", "insurer", "mediation", "court", "reviewer", "appraisal",
    "arbitration",
]  # fmt: skip
# Fixed, so every run sends the same requests; set FUZZ_SEED (and FUZZ_EXAMPLES) to look
# further afield by hand.
SEED = int(os.environ.get("FUZZ_SEED", "20261128"))
# Fuzzed (generated) examples per operation, per caller and backend; the examples from the
# document and schemathesis' coverage cases (boundaries, missing and wrong-typed values,
# unexpected methods) come on top of these. FEW_EXAMPLES where the caller is refused.
MAX_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "8"))
FEW_EXAMPLES = 2

ADMIN_PASSWORD = "fuzz-admin-password"
OFFICER_PASSWORD = "fuzz-officer-password"
REVIEWER_PASSWORD = "fuzz-reviewer-password"
DECISION = {
    "liabilities": [{"party": 0, "grade": "none"}, {"party": 1, "grade": "full"}],
    "facts": "乙车变更车道时与甲车刮擦，双方车辆可以移动。",
    "legal_basis": "《道路交通事故处理程序规定》第六十条",
}


@dataclass
class World:
    """A running server and what was made in it before fuzzing starts."""

    url: str
    tokens: dict[str, str] = field(default_factory=dict)
    case_ids: list[str] = field(default_factory=list)
    evidence_ids: list[str] = field(default_factory=list)
    message_ids: list[str] = field(default_factory=list)
    partner_ids: list[str] = field(default_factory=list)
    webhook_secrets: dict[str, str] = field(default_factory=dict)  # by partner id
    center_ids: list[str] = field(default_factory=list)
    # Cases only one caller is fuzzed with: those sent to the appraiser and the arbitration
    # commission (each sees no other), kept from the other callers' dictionaries so that
    # their requests stay as they were.
    cases_sent_to: dict[str, list[str]] = field(default_factory=dict)  # by caller


# --- the server -------------------------------------------------------------------------


def server_environment(database_url: str, var: Path) -> dict[str, str]:
    return service_environment(
        database_url,
        var,
        jwt_secret="fuzzing-" + "f" * 40,
        ACCIDENT_ONLINE_LOG_JSON="false",
        # Nothing listens for webhooks; the outbox only has to hold messages to look at.
        ACCIDENT_ONLINE_RUN_DELIVERY_WORKER="false",
        ACCIDENT_ONLINE_RUN_HOUSEKEEPING="false",
    )


# --- the world --------------------------------------------------------------------------


def report(plate: str) -> dict[str, Any]:
    """A valid two-party report of an accident just now: the Swagger example, as in conftest."""
    body = copy.deepcopy(EXAMPLE_REPORT)
    del body["agreed_liability"]
    body["occurred_at"] = (datetime.now(UTC) - timedelta(minutes=10)).isoformat()
    body["parties"][0]["plate"] = plate
    return body


def seed_world(env: dict[str, str], url: str) -> World:
    """The centers and an admin through the CLI; everyone and everything else through the API."""
    cli(env, "seed")
    cli(env, "users", "add", "fuzz.admin", "--role", "admin", "--password-stdin",
        stdin=ADMIN_PASSWORD + "\n")  # fmt: skip
    # The city-level reviewer: an account of the CLI too, bound to no center.
    cli(env, "users", "add", "fuzz.reviewer", "--role", "reviewer", "--password-stdin",
        stdin=REVIEWER_PASSWORD + "\n")  # fmt: skip
    world = World(url=url)
    with httpx.Client(base_url=url, timeout=30) as client:

        def token(**form: str) -> str:
            answer = client.post("/v1/auth/token", data=form)
            assert answer.status_code == 200, answer.text
            return str(answer.json()["access_token"])

        world.tokens["admin"] = token(
            grant_type="password", username="fuzz.admin", password=ADMIN_PASSWORD
        )
        admin = {"Authorization": f"Bearer {world.tokens['admin']}"}
        made = client.post(
            "/v1/admin/users",
            json={"username": "fuzz.officer", "password": OFFICER_PASSWORD, "role": "officer",
                  "center_id": "dongchangfu"},
            headers=admin,
        )  # fmt: skip
        assert made.status_code == 201, made.text
        world.tokens["officer"] = token(
            grant_type="password", username="fuzz.officer", password=OFFICER_PASSWORD
        )
        world.tokens["reviewer"] = token(
            grant_type="password", username="fuzz.reviewer", password=REVIEWER_PASSWORD
        )
        hook = "http://127.0.0.1:9/hooks"  # never called: the delivery worker does not run
        partners = {
            "app": {"id": "fuzz-app", "kind": "app", "webhook_url": hook},
            "insurer": {"id": "fuzz-picc", "kind": "insurer", "webhook_url": hook,
                        "insurer_codes": ["PICC"]},
            "mediation": {"id": "fuzz-mediation", "kind": "mediation"},
            "court": {"id": "fuzz-court", "kind": "court"},
            "appraisal": {"id": "fuzz-appraisal", "kind": "appraisal", "webhook_url": hook},
            "arbitration": {"id": "fuzz-arbitration", "kind": "arbitration",
                            "webhook_url": hook},
        }  # fmt: skip
        for caller, partner in partners.items():
            registered = client.post(
                "/v1/partners", json={**partner, "name": partner["id"]}, headers=admin
            )
            assert registered.status_code == 201, registered.text
            world.partner_ids.append(str(partner["id"]))
            world.webhook_secrets[str(partner["id"])] = registered.json()["webhook_secret"]
            world.tokens[caller] = token(
                grant_type="client_credentials",
                client_id=registered.json()["client_id"],
                client_secret=registered.json()["client_secret"],
            )
        app = {"Authorization": f"Bearer {world.tokens['app']}"}
        officer = {"Authorization": f"Bearer {world.tokens['officer']}"}

        for n in range(6):
            filed = client.post(
                "/v1/reports",
                json=report(f"鲁P{n + 1:05d}"),
                headers={**app, "Idempotency-Key": f"fuzz-world-{n}"},
            )
            assert filed.status_code == 201, filed.text
            case_id = filed.json()["id"]
            for party in (0, 1):
                confirmed = client.post(
                    f"/v1/cases/{case_id}/confirmations",
                    json={"party": party, "method": "sms_code",
                          "confirmed_at": datetime.now(UTC).isoformat()},
                    headers=app,
                )  # fmt: skip
                assert confirmed.status_code == 201, confirmed.text
            photos = [("overview_front", None), ("overview_rear", None), ("collision_point", None),
                      ("plate", 0), ("plate", 1)]  # fmt: skip
            for k, (kind, party) in enumerate(photos):
                form = {"kind": kind} if party is None else {"kind": kind, "party": str(party)}
                uploaded = client.post(
                    f"/v1/cases/{case_id}/evidence",
                    data=form,
                    files={"file": (f"{kind}.png", tiny_png(n * 16 + k), "image/png")},
                    headers=app,
                )
                assert uploaded.status_code == 201, uploaded.text
                world.evidence_ids.append(uploaded.json()["id"])
            world.case_ids.append(case_id)
        _, held, decided, in_review, appraised, arbitrated = world.case_ids
        del world.case_ids[4:]
        assert client.post(f"/v1/cases/{held}/claim", headers=officer).status_code == 200
        for case_id in (decided, in_review, appraised, arbitrated):
            claimed = client.post(f"/v1/cases/{case_id}/claim", headers=officer)
            decision = client.post(
                f"/v1/cases/{case_id}/decision",
                json=DECISION,
                headers={**officer, "If-Match": claimed.headers["etag"]},
            )
            assert decision.status_code == 200, decision.text
        # One case in the reviewers' queue, so that the review's own logic is reached.
        requested = client.post(
            f"/v1/cases/{in_review}/review-requests",
            json={"party": 1, "reason": "乙方认为责任划分有误。"},
            headers=app,
        )
        assert requested.status_code == 201, requested.text
        send_to_appraisal_and_arbitration(client, app, appraised, arbitrated)
        world.cases_sent_to = {"appraisal": [appraised], "arbitration": [arbitrated]}
        messages = client.get("/v1/deliveries", headers=admin).json()["items"]
        world.message_ids = [message["id"] for message in messages]
        assert world.message_ids
        world.center_ids = [
            center["id"] for center in client.get("/v1/centers", headers=admin).json()
        ]
    return world


def send_to_appraisal_and_arbitration(
    client: httpx.Client, app: dict[str, str], appraised: str, arbitrated: str
) -> None:
    """Two decided cases made final (every party received the determination and waived
    review): the first in mediation with an appraisal asked of fuzz-appraisal, the second,
    with both parties' arbitration agreements, in arbitration at fuzz-arbitration."""
    now = datetime.now(UTC).isoformat()
    for case_id in (appraised, arbitrated):
        for party in (0, 1):
            received = client.post(
                f"/v1/cases/{case_id}/receipts",
                json={"party": party, "received_at": now, "signed": True, "no_objection": True},
                headers=app,
            )
            assert received.status_code == 201, received.text
    mediation = client.post(
        f"/v1/cases/{appraised}/responses",
        json={"party": 1, "resolution": "mediation"},
        headers=app,
    )
    assert mediation.status_code == 200, mediation.text
    asked = client.post(
        f"/v1/cases/{appraised}/appraisals",
        json={"vehicles": [1], "question": "乙车维修费用", "consenting_parties": [0, 1],
              "appraiser": "fuzz-appraisal"},
        headers=app,
    )  # fmt: skip
    assert asked.status_code == 201, asked.text
    for party in (0, 1):
        agreed = client.post(
            f"/v1/cases/{arbitrated}/arbitration-agreements",
            json={"party": party, "signed_at": now},
            headers=app,
        )
        assert agreed.status_code == 201, agreed.text
    arbitration = client.post(
        f"/v1/cases/{arbitrated}/responses",
        json={"party": 1, "resolution": "arbitration"},
        headers=app,
    )
    assert arbitration.status_code == 200, arbitration.text


# --- fixtures ---------------------------------------------------------------------------


@pytest.fixture(scope="module", params=BACKENDS)
async def fuzz_database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    """A fresh, empty database of one backend, for this module's server alone."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('fuzz-sqlite') / 'fuzz.db'}"
        return
    async with postgres_database("ao_fuzz") as url:
        yield url


@pytest.fixture(scope="module")
def fuzz_world(fuzz_database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """One real server process on that database, with its world; stopped by pid."""
    var = tmp_path_factory.mktemp("fuzz-var")
    env = server_environment(fuzz_database_url, var)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process: subprocess.Popen[bytes] | None = None
    cli(env, "migrate")
    with (var / "server.log").open("wb") as log:
        try:
            process = subprocess.Popen(
                command("serve", "--host", "127.0.0.1", "--port", str(port)),
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )  # fmt: skip
            wait_ready(url, process)
            yield seed_world(env, url)
        finally:
            if process is not None:
                stop(process)


@pytest.fixture(params=CALLERS)
def caller(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def api_schema(fuzz_world: World, caller: str) -> schemathesis.BaseSchema:
    """The server's own OpenAPI document, fuzzed as ``caller``."""
    config = schemathesis.Config.from_dict(fuzzing_config(fuzz_world, caller))
    return schemathesis.openapi.from_url(f"{fuzz_world.url}/openapi.json", config=config)


# --- what the checks cannot know --------------------------------------------------------


def fuzzing_config(world: World, caller: str) -> dict[str, Any]:
    ids = {
        "cases": world.case_ids + world.cases_sent_to.get(caller, []),
        "evidence": world.evidence_ids,
        "messages": world.message_ids,
        "partners": world.partner_ids,
        "centers": world.center_ids,
    }
    return {
        "seed": SEED,
        "headers": {"Authorization": f"Bearer {world.tokens[caller]}"},
        # Positive and negative data; the seed alone decides what is generated (no example
        # database replaying earlier failures), so every run sends the same requests.
        "generation": {"mode": "all", "max-examples": MAX_EXAMPLES, "database": "none"},
        "checks": {"enabled": True},
        # Routing answers an unexpected method (405 with Allow) before anybody is
        # authenticated, so one caller probes them.
        "phases": {"coverage": {} if caller == CALLERS[0] else {"unexpected-methods": []}},
        # Half the time an id in the path (or the case an inbound event is about) names
        # something that exists, so the fuzzer gets past "404 not found" into the
        # operations' own logic.
        "dictionaries": {name: {"values": values} for name, values in ids.items()},
        "parameters": {
            "path.case_id": {"dictionary": "cases", "probability": 0.5},
            "path.evidence_id": {"dictionary": "evidence", "probability": 0.5},
            "path.message_id": {"dictionary": "messages", "probability": 0.5},
            "path.partner_id": {"dictionary": "partners", "probability": 0.5},
            "path.center_id": {"dictionary": "centers", "probability": 0.5},
            "body.data.case_id": {"dictionary": "cases", "probability": 0.5},
        },
        "operations": [*OPERATION_RULES, little_where_it_tells_little(caller)],
    }


# Who may call what (tests/auth/test_authorization_matrix.py asserts it in detail).
# The public operations declare no security in the document, so `ignored_auth` and
# `bearer_token_required` rightly leave them alone: the token endpoint is where tokens
# come from, and partners sign their webhooks (401 for a bad signature, whoever asks).
PUBLIC = {
    "GET /healthz",
    "GET /readyz",
    "GET /metrics",
    "POST /v1/auth/token",
    "POST /v1/webhooks/{partner_id}",
    # A photo's signed view_url: the link's signature, not a token, lets it through.
    "GET /v1/cases/{case_id}/evidence/{evidence_id}/view",
}
CASE_READING = {
    "GET /v1/cases",
    "GET /v1/cases/{case_id}",
    "GET /v1/cases/{case_id}/events",
    "GET /v1/cases/{case_id}/evidence/{evidence_id}/content",
    "GET /v1/cases/{case_id}/evidence/sheet",
    "GET /v1/cases/{case_id}/decision/document",
    "GET /v1/cases/{case_id}/revoked-decisions/{number}/document",
    "GET /v1/cases/{case_id}/settlement",
    "GET /v1/cases/{case_id}/appraisals",
    "GET /v1/centers",
    "POST /v1/settlements/calculate",
}
DELIVERIES = {
    "GET /v1/deliveries",
    "GET /v1/deliveries/{message_id}",
    "POST /v1/deliveries/{message_id}/retry",
}
PARTNER_OPERATIONS = CASE_READING | DELIVERIES
MAY_CALL = {
    "admin": CASE_READING
    | DELIVERIES
    | {
        "GET /v1/admin/users",
        "POST /v1/admin/users",
        "GET /v1/admin/users/{username}",
        "GET /v1/partners",
        "POST /v1/partners",
        "GET /v1/partners/{partner_id}",
        "PATCH /v1/partners/{partner_id}",
        "POST /v1/partners/{partner_id}/rotate-secret",
        "POST /v1/partners/{partner_id}/rotate-client-secret",
        "POST /v1/partners/{partner_id}/disable",
        "POST /v1/partners/{partner_id}/enable",
        "POST /v1/admin/users/{username}/disable",
        "POST /v1/admin/users/{username}/enable",
        "PATCH /v1/centers/{center_id}",
        "GET /v1/centers/{center_id}/queue",
        "GET /v1/stats",
        "GET /v1/reviews",
        "GET /v1/claims",
        "POST /v1/cases/{case_id}/claims/{claim_id}/payments",
    },
    "officer": CASE_READING
    | {
        "GET /v1/centers/{center_id}/queue",
        "POST /v1/centers/{center_id}/queue/next",
        "POST /v1/cases/{case_id}/claim",
        "POST /v1/cases/{case_id}/release",
        "POST /v1/cases/{case_id}/evidence-requests",
        "POST /v1/cases/{case_id}/referral",
        "POST /v1/cases/{case_id}/decision",
        "POST /v1/cases/{case_id}/late-report",
        "GET /v1/stats",
    },
    "app": PARTNER_OPERATIONS
    | {
        "POST /v1/eligibility",
        "POST /v1/reports",
        "POST /v1/cases/{case_id}/evidence",
        "POST /v1/cases/{case_id}/responses",
        "POST /v1/cases/{case_id}/confirmations",
        "PATCH /v1/cases/{case_id}/parties/{party}",
        "POST /v1/cases/{case_id}/receipts",
        "POST /v1/cases/{case_id}/review-requests",
        "POST /v1/cases/{case_id}/appraisals",
        "POST /v1/cases/{case_id}/appraisals/{appraisal_id}/objections",
        "POST /v1/cases/{case_id}/arbitration-agreements",
        "POST /v1/cases/{case_id}/confirmation-requests",
        "POST /v1/cases/{case_id}/claims/{claim_id}/payments",
    },
    "reviewer": CASE_READING | {"GET /v1/reviews", "POST /v1/cases/{case_id}/review"},
    "insurer": PARTNER_OPERATIONS,
    "mediation": PARTNER_OPERATIONS
    | {"POST /v1/cases/{case_id}/appraisals", "POST /v1/cases/{case_id}/confirmation-requests"},
    "court": PARTNER_OPERATIONS | {"POST /v1/cases/{case_id}/appraisals", "GET /v1/claims"},
    # They read the cases sent to them (an appraisal asked, arbitration chosen) and their own
    # deliveries; what they report goes through their signed webhook (PUBLIC, fuzzed as the
    # first caller, with their partner ids and secrets among the world's).
    "appraisal": PARTNER_OPERATIONS,
    "arbitration": PARTNER_OPERATIONS,
}


def little_where_it_tells_little(caller: str) -> dict[str, Any]:
    """Where ``caller`` is refused (403 before any input is read), or where another
    caller already asked (the public operations, fuzzed in full by the first caller):
    no coverage phase (every boundary, missing and wrong-typed value: hundreds of
    requests for a report) and a few fuzzed examples, positive and negative, instead
    of ``MAX_EXAMPLES``. They would only repeat the same answer."""
    worth_it = MAY_CALL[caller] | (PUBLIC if caller == CALLERS[0] else set())
    return {
        "exclude-name": sorted(worth_it),
        "phases": {"coverage": {"enabled": False}},
        "generation": {"max-examples": FEW_EXAMPLES},
    }


# What `positive_data_acceptance` expects of schema-valid requests by default.
ACCEPTED_BY_DEFAULT = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]
# What schemathesis takes as a rejection of schema-violating data, unless told otherwise.
REJECTED_BY_DEFAULT = [
    "400", "401", "403", "404", "405", "406", "409", "415", "422", "428", "429", "5xx"
]  # fmt: skip


def valid_data_may_get(statuses: list[str], *operations: str) -> dict[str, Any]:
    """Schema-valid requests to ``operations`` may also be refused with ``statuses``.

    Only for rules a JSON Schema cannot state (a checksum, a value that must name stored
    data, the case's state); every other check stays as it is, so the refusal must
    still be declared, typed and shaped as the document says.
    """
    return {
        "include-name": list(operations),
        "checks": {
            "positive_data_acceptance": {"expected-statuses": ACCEPTED_BY_DEFAULT + statuses}
        },
    }


OPERATION_RULES: list[dict[str, Any]] = [
    # `cursor` is an opaque token the service made for the previous page; any other,
    # however schema-valid, is refused: 400 invalid-cursor (declared).
    valid_data_may_get(
        ["400"],
        "GET /v1/admin/users",
        "GET /v1/partners",
        "GET /v1/cases",
        "GET /v1/cases/{case_id}/events",
        "GET /v1/centers/{center_id}/queue",
        "GET /v1/deliveries",
        "GET /v1/reviews",
        "GET /v1/claims",
    ),
    # `If-Match` carries the case's version, which only the server knows: CONTRACT.md
    # "Concurrency" answers any other with 412 and none with 428.
    # The version is checked first (cases.dependencies.CaseAtVersion), so an invalid
    # body with a stale If-Match is refused with that 412, not with 422.
    {
        **valid_data_may_get(["412", "428"], "POST /v1/cases/{case_id}/release"),
        "checks": {
            "positive_data_acceptance": {"expected-statuses": [*ACCEPTED_BY_DEFAULT, "412", "428"]},
            "negative_data_rejection": {"expected-statuses": [*REJECTED_BY_DEFAULT, "412"]},
        },
    },
    # The same; and the documented examples of the texts that become official (facts,
    # legal basis, the message to the drivers, the referral's reason) are placeholders
    # 〈…〉 that are refused until replaced (422), so an unchanged example changes nothing.
    {
        "include-name": [
            "POST /v1/cases/{case_id}/evidence-requests",
            "POST /v1/cases/{case_id}/referral",
            "POST /v1/cases/{case_id}/decision",
            "POST /v1/cases/{case_id}/review",
            "POST /v1/cases/{case_id}/late-report",
        ],
        "checks": {
            "positive_data_acceptance": {
                "expected-statuses": [*ACCEPTED_BY_DEFAULT, "412", "422", "428"]
            },
            "negative_data_rejection": {"expected-statuses": [*REJECTED_BY_DEFAULT, "412"]},
        },
    },
    # A report is checked beyond its schema: ID numbers carry a check digit, mobile
    # numbers and plates follow national formats, occurred_at lies in the last 24 hours,
    # plates differ and an agreed liability fits the parties; and an accident that may
    # not be handled online is refused with 422 not-eligible (CONTRACT.md). An
    # Idempotency-Key used before with another body is 422 idempotency-key-reused.
    valid_data_may_get(["422"], "POST /v1/reports", "POST /v1/eligibility"),
    # center_id must name one of the stored centers: 422 unknown-center.
    valid_data_may_get(["422"], "POST /v1/admin/users"),
    # A webhook URL must be http(s) with a host and no credentials (more than `format:
    # uri` says); only an insurer has insurer codes, each 1-32 letters, digits, - or _,
    # all distinct once upper-cased.
    valid_data_may_get(["422"], "POST /v1/partners", "PATCH /v1/partners/{partner_id}"),
    # The photo's type is recognised from its bytes, which generated bytes never are
    # (415 unsupported-evidence-type); `party` must name one of the case's vehicles.
    valid_data_may_get(["415", "422"], "POST /v1/cases/{case_id}/evidence"),
    # An event type must be one the partner's kind sends, its party one of the case's
    # (422); which partner sends is known only from the path.
    valid_data_may_get(["422"], "POST /v1/webhooks/{partner_id}"),
    # Compensation disputes: the vehicles, consenting and objecting parties must name the
    # case's parties, the app's appraisal needs every party's consent, an objection comes
    # within its window (422 objection-window-closed); an attested payment names the party
    # the claim pays, more than 0 and no more than is open, and no time ahead of the clock.
    valid_data_may_get(
        ["422"],
        "POST /v1/cases/{case_id}/appraisals",
        "POST /v1/cases/{case_id}/appraisals/{appraisal_id}/objections",
        "POST /v1/cases/{case_id}/arbitration-agreements",
        "POST /v1/cases/{case_id}/confirmation-requests",
        "POST /v1/cases/{case_id}/claims/{claim_id}/payments",
    ),
    # `since` must come before `until`: two parameters, one rule (422).
    valid_data_may_get(["422"], "GET /v1/stats"),
    # `party` must name one of the case's vehicles (422); liabilities and vehicles must
    # name the same parties, and liability shares must add up.
    valid_data_may_get(
        ["422"], "POST /v1/cases/{case_id}/responses", "POST /v1/settlements/calculate"
    ),
    # The determination's life: `party` must name one of the case's vehicles, times a
    # party gives may not lie ahead of the server's clock (nor a receipt before the
    # decision), a corrected plate must differ from the other parties' and follow the
    # national format (as in a report), and a review is refused once its window closed
    # (422 review-window-closed); an example's placeholder reason 〈…〉 is refused (422).
    valid_data_may_get(
        ["422"],
        "POST /v1/cases/{case_id}/confirmations",
        "PATCH /v1/cases/{case_id}/parties/{party}",
        "POST /v1/cases/{case_id}/receipts",
        "POST /v1/cases/{case_id}/review-requests",
    ),
]


@pytest.fixture(autouse=True)
def _node_id_for_lazy_schemas(request: pytest.FixtureRequest) -> None:
    # schemathesis 4.32 names each operation's subtest by rewriting the private
    # `Node._nodeid`, which pytest 9.2 no longer has (ids live in `Node._id`); giving the
    # node that attribute back is all it needs. Cosmetic: reports carry the operation.
    request.node._nodeid = request.node.nodeid


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
def test_every_operation_holds_to_the_openapi_document(
    case: schemathesis.Case, fuzz_world: World
) -> None:
    response = case.call_and_validate(
        additional_checks=[bearer_token_required], **signed_as_partner(case, fuzz_world)
    )
    rotated_secret = case.operation.label == "POST /v1/partners/{partner_id}/rotate-secret"
    if rotated_secret and response.status_code == 200:
        # As the partner would: sign with the new secret from now on.
        rotated = response.json()
        fuzz_world.webhook_secrets[rotated["partner_id"]] = rotated["webhook_secret"]


_webhook_ids = itertools.count()


def signed_as_partner(case: schemathesis.Case, world: World) -> dict[str, Any]:
    """An inbound event to one of the world's partners, signed with its secret, so that
    fuzzing gets past the signature check (401 for anything else) into the events."""
    secret = world.webhook_secrets.get(str(case.path_parameters.get("partner_id")))
    if case.operation.label != "POST /v1/webhooks/{partner_id}" or secret is None:
        return {}
    if case.body is NOT_SET:
        body = b""
    elif isinstance(case.body, bytes):
        body = case.body  # sent as it is
    else:
        body = json.dumps(case.body).encode()
    try:
        text = body.decode()
    except UnicodeDecodeError:
        return {}  # Standard Webhooks signs text; such bytes go unsigned
    message_id = f"msg_fuzz_{next(_webhook_ids)}"
    now = datetime.now(UTC).replace(microsecond=0)
    headers = {
        "Content-Type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": sign([secret], msg_id=message_id, timestamp=now, body=text),
    }
    return {"data": body, "headers": headers}


def test_every_operation_has_its_place_in_the_gate(tmp_path: Path) -> None:
    """A new operation must say who may call it, or only the first caller would fuzz it
    in depth; and every rule must name an operation that exists."""
    settings = Settings(
        env="test",
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'unused.db'}",
        var_dir=tmp_path,
        jwt_secret="x" * 40,
    )
    document = create_app(settings).openapi()
    operations = {
        f"{method.upper()} {path}" for path, item in document["paths"].items() for method in item
    }
    placed = PUBLIC.union(*MAY_CALL.values())
    named = placed.union(*(rule["include-name"] for rule in OPERATION_RULES))
    assert operations - placed == set()
    assert named - operations == set()


# (server, token, operation) already shown to refuse requests without a valid token.
_TOKEN_REQUIRED: set[tuple[str, str, str]] = set()


def bearer_token_required(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case
) -> None:
    """schemathesis' `ignored_auth`, for this API's OAuth2 scheme, which it cannot probe
    (4.32 takes credentials away only for `apiKey` and `http` schemes): a request that
    succeeded with the caller's token must get 401 without a token and with a forged
    one (CONTRACT.md "Auth"). Once per operation and caller, as `ignored_auth` does."""
    sent = response.request
    token = str(sent.headers.get("Authorization", ""))
    key = (urlsplit(str(sent.url)).netloc, token, case.operation.label)
    if not 200 <= response.status_code < 300 or not token or key in _TOKEN_REQUIRED:
        return
    if not case.operation.definition.raw.get("security"):  # `security: []`: public
        return
    # The caller's own claims, signed with another key than the server's.
    claims = jwt.decode(token.removeprefix("Bearer "), options={"verify_signature": False})
    forged = "Bearer " + jwt.encode(claims, "not-the-server-key-" + "k" * 32, algorithm="HS256")
    for what, authorization in (("no token", None), ("a forged token", forged)):
        headers = {k: v for k, v in sent.headers.items() if k.lower() != "authorization"}
        if authorization is not None:
            headers["Authorization"] = authorization
        probe = requests.request(
            str(sent.method), str(sent.url), headers=headers, data=sent.body, timeout=30
        )
        assert probe.status_code == 401, (
            f"{case.operation.label} answered {probe.status_code} to the same request with "
            f"{what}, after {response.status_code} with the caller's token"
        )
    _TOKEN_REQUIRED.add(key)

"""The app backend's flow through a client that openapi-python-client generates from the
served `/openapi.json`, as a partner would make it (with docs/clients/openapi-python-client.yaml,
the settings docs/partners.md gives): sign in, eligibility, report, photos, the case and
its ETag, the timeline typed per event, the photo, contact sheet and decision document as
bytes. Every request goes through the generated code to a real ``accident-online serve``
process on 127.0.0.1 (SQLite); the test makes no HTTP call of its own.
"""

from __future__ import annotations

import copy
import importlib
import io
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from accident_online.intake.schemas import EXAMPLE_REPORT
from accident_online_testing.processes import ServerProcess
from service_processes import cli, jpeg, service_environment

CONFIG = Path(__file__).resolve().parents[2] / "docs" / "clients" / "openapi-python-client.yaml"
PACKAGE = "accident_online_client"
ADMIN_PASSWORD = "generated-admin-password"
OFFICER_PASSWORD = "generated-officer-password"
JPEG_MAGIC = b"\xff\xd8\xff"
DECISION = {
    "liabilities": [{"party": 0, "grade": "primary"}, {"party": 1, "grade": "secondary"}],
    "facts": "甲车未按规定让行，与乙车发生刮擦，两车受损，无人受伤。",
    "legal_basis": "《道路交通安全法》第三十八条；《道路交通事故处理程序规定》第六十条",
}


@dataclass
class Generated:
    url: str
    package: ModuleType

    def module(self, name: str) -> Any:
        """``api.cases.get_case`` or ``models``: a module of the generated package."""
        return importlib.import_module(f"{PACKAGE}.{name}")


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Generated]:
    var = tmp_path_factory.mktemp("generated-client")
    env = service_environment(
        f"sqlite+aiosqlite:///{var / 'client.db'}",
        var,
        jwt_secret="generated-" + "g" * 40,
        ACCIDENT_ONLINE_LOG_JSON="false",
        ACCIDENT_ONLINE_RUN_DELIVERY_WORKER="false",
    )
    cli(env, "migrate")
    cli(env, "seed")
    cli(env, "users", "add", "client.admin", "--role", "admin", "--password-stdin",
        stdin=ADMIN_PASSWORD + "\n")  # fmt: skip
    with ServerProcess(env, var / "server.log") as server:
        output = var / "client"
        generator = Path(sys.executable).with_name("openapi-python-client")
        made = subprocess.run(
            [str(generator), "generate", "--url", f"{server.base_url}/openapi.json",
             "--config", str(CONFIG), "--meta", "none", "--output-path", str(output),
             "--fail-on-warning"],
            capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
        assert made.returncode == 0, made.stdout + made.stderr
        # --meta none writes the package itself into the output path.
        (var / "site").mkdir()
        output.rename(var / "site" / PACKAGE)
        sys.path.insert(0, str(var / "site"))
        try:
            yield Generated(server.base_url, importlib.import_module(PACKAGE))
        finally:
            sys.path.remove(str(var / "site"))
            for name in [m for m in sys.modules if m == PACKAGE or m.startswith(f"{PACKAGE}.")]:
                del sys.modules[name]


def test_the_app_backends_flow_through_the_generated_client(generated: Generated) -> None:
    client_module = generated.module("client")
    models = generated.module("models")
    types = generated.module("types")
    api = "api"

    def call(operation: str, expected: int = 200, **arguments: Any) -> Any:
        """One generated operation, its answer checked: the parsed body (and the headers)."""
        answer = generated.module(f"{api}.{operation}").sync_detailed(**arguments)
        assert answer.status_code == expected, (operation, answer.status_code, answer.content)
        assert not isinstance(answer.parsed, models.Problem), answer.parsed
        return answer

    public = client_module.Client(base_url=generated.url, raise_on_unexpected_status=True)

    def sign_in(**form: Any) -> Any:
        body = models.TokenRequest.from_dict(form)
        token = call("auth.issue_token", client=public, body=body).parsed
        assert isinstance(token, models.TokenResponse)
        return client_module.AuthenticatedClient(
            base_url=generated.url, token=token.access_token, raise_on_unexpected_status=True
        )

    # The admin registers the app backend and an officer.
    admin = sign_in(grant_type="password", username="client.admin", password=ADMIN_PASSWORD)
    partner = call(
        "partners.register_partner",
        201,
        client=admin,
        body=models.PartnerCreate.from_dict({"id": "app-generated", "kind": "app", "name": "App"}),
    ).parsed
    assert isinstance(partner, models.PartnerCreated)
    officer_account = models.UserCreate.from_dict(
        {"username": "officer.generated", "password": OFFICER_PASSWORD, "role": "officer",
         "center_id": "dongchangfu", "display_name": "王建国", "badge_number": "371502"}
    )  # fmt: skip
    call("auth.create_user", 201, client=admin, body=officer_account)

    # The app backend: sign in, eligibility, the report, its photos.
    app = sign_in(
        grant_type="client_credentials",
        client_id=partner.client_id,
        client_secret=partner.client_secret,
    )
    report = copy.deepcopy(EXAMPLE_REPORT)
    del report["agreed_liability"]
    report["occurred_at"] = (datetime.now(UTC) - timedelta(minutes=10)).isoformat()
    body = models.ReportCreate.from_dict(report)
    eligibility = call("reports.check_eligibility", client=app, body=body).parsed
    assert isinstance(eligibility, models.EligibilityRead)
    assert eligibility.eligible is True

    filed = call("reports.file_report", 201, client=app, body=body, idempotency_key="gen-1")
    again = call("reports.file_report", 201, client=app, body=body, idempotency_key="gen-1")
    case = filed.parsed
    assert isinstance(case, models.CaseRead)
    assert case.status == models.CaseStatus.AWAITING_EVIDENCE
    assert filed.headers["Location"] == f"/v1/cases/{case.id}"
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.parsed.id == case.id

    # Each party confirms the report on their own phone: only then is the case queued.
    for party in (0, 1):
        confirmation = models.ConfirmationCreate.from_dict(
            {"party": party, "method": "sms_code", "confirmed_at": datetime.now(UTC).isoformat()}
        )
        call("reports.confirm_report", 201, client=app, case_id=case.id, body=confirmation)

    photos = [("overview_front", None), ("overview_rear", None), ("collision_point", None),
              ("plate", 0), ("plate", 1)]  # fmt: skip
    for kind, party in photos:
        content = jpeg(f"{kind}{party}".encode())
        upload = models.EvidenceUpload(
            kind=models.EvidenceKind(kind),
            file=types.File(payload=io.BytesIO(content), file_name=f"{kind}.jpg",
                            mime_type="image/jpeg"),
            **({} if party is None else {"party": party}),
        )  # fmt: skip
        uploaded = call("evidence.upload_evidence", 201, client=app, case_id=case.id, body=upload)
        assert isinstance(uploaded.parsed, models.EvidenceUploaded)
    assert uploaded.parsed.status == models.CaseStatus.QUEUED

    # The case and its ETag; a photo's bytes.
    read = call("cases.get_case", client=app, case_id=case.id)
    assert isinstance(read.parsed, models.CaseRead)
    assert read.headers["ETag"] == f'"{read.parsed.version}"'
    assert read.parsed.missing == []
    photo = call(
        "evidence.get_evidence_content",
        client=app,
        case_id=case.id,
        evidence_id=read.parsed.evidence[0].id,
    ).parsed
    assert isinstance(photo, types.File)
    assert photo.payload.read() == jpeg(b"overview_frontNone")

    # The officer looks at the contact sheet, takes the case and decides it.
    officer = sign_in(
        grant_type="password", username="officer.generated", password=OFFICER_PASSWORD
    )
    sheet = call("evidence.get_contact_sheet", client=officer, case_id=case.id).parsed
    assert isinstance(sheet, types.File)
    assert sheet.payload.read().startswith(JPEG_MAGIC)
    officers = "api.远程定责_officers"
    claimed = generated.module(f"{officers}.claim_case").sync_detailed(
        client=officer, case_id=case.id
    )
    assert claimed.status_code == 200, claimed.content
    decided = generated.module(f"{officers}.decide_liability").sync_detailed(
        client=officer,
        case_id=case.id,
        body=models.DecisionCreate.from_dict(DECISION),
        if_match=claimed.headers["ETag"],
    )
    assert decided.status_code == 200, decided.content
    assert decided.parsed.status == models.CaseStatus.DECIDED

    # The app backend: the decision document and the timeline, each event's data typed.
    document = generated.module(f"{officers}.get_decision_document").sync_detailed(
        client=app, case_id=case.id
    )
    assert document.status_code == 200, document.content
    assert isinstance(document.parsed, types.File)
    assert document.parsed.payload.read().startswith(b"%PDF-")
    timeline = call("cases.list_case_events", client=app, case_id=case.id, limit=200).parsed
    assert isinstance(timeline, models.PageCaseEventRead)
    by_type = {type(event).__name__: event for event in timeline.items}
    assert list(by_type)[:2] == ["CaseReportedEntry", "CaseRoutedEntry"]
    assert {"EvidenceAddedEntry", "CaseQueuedEntry", "CaseClaimedEntry"} <= set(by_type)
    reported = by_type["CaseReportedEntry"].data
    assert isinstance(reported, models.CaseReportedEntryData)
    assert (reported.number, reported.parties) == (case.number, 2)
    added = by_type["EvidenceAddedEntry"].data
    assert isinstance(added.kind, models.EvidenceKind)
    decision = by_type["CaseDecidedEntry"].data
    assert isinstance(decision, models.CaseDecidedEntryData)
    assert [
        (item.party, item.grade.value, item.share_percent) for item in decision.liabilities
    ] == [
        (0, "primary", 70),
        (1, "secondary", 30),
    ]
    assert decision.to == models.CaseStatus.DECIDED

"""What the OpenAPI document adds for the officers who work in /docs: their operations in
one tag, first, in the order of the work, and `If-Match` marked as the requirement it is."""

from __future__ import annotations

from typing import Any

from accident_online.kit.fields import HEADER_PATTERN

OFFICERS_TAG = "远程定责 · Officers"

TAGS: list[dict[str, Any]] = [
    {
        "name": OFFICERS_TAG,
        "description": (
            "远程定责民警的工作，按办案顺序排列：登录（Authorize）→ 查看本中心队列 → 领取案件 → "
            "看照片 → 补充证据、退回队列、转线下处理或作出认定 → 下载认定书。改变案件的操作"
            "（领取除外）必须带 `If-Match`，其值为上次读取案件时的 `ETag`。时间均为北京时间"
            "（+08:00）。\n\n"
            "The remote liability officer's work, in the order it is done: sign in (Authorize), "
            "your center's queue, claim a case, look at the photos, then ask for photos, release, "
            "refer offline or decide, and fetch the document. Every change to a case except the "
            "claim needs `If-Match` with the `ETag` you last read. Times are Beijing time (+08:00)."
        ),
    },
    {
        "name": "复核 · Reviews",
        "description": "复核（《道路交通事故处理程序规定》第七十一至七十四条）：市级复核人员的"
        "队列与结论。\n\nReview of determinations by the city-level authority (order 146 "
        "art. 71–74): the queue of applications, and upholding or revoking.",
    },
    {
        "name": "auth",
        "description": "Sign-in for people (password grant) and partner systems (client "
        "credentials), and the officers' and admins' accounts.",
    },
    {
        "name": "reports",
        "description": "The app backend files a driver's report (`Idempotency-Key` required), "
        "checks eligibility first and passes on the parties' answers to the decision.",
    },
    {
        "name": "cases",
        "description": "The shared case record, masked per role (`ETag` = its version), and "
        "its append-only timeline.",
    },
    {
        "name": "evidence",
        "description": "The accident photos: upload (app), download, contact sheet, signed "
        "links that open without a token.",
    },
    {
        "name": "centers",
        "description": "The nine remote liability centers: availability, capacity, queues.",
    },
    {
        "name": "settlement",
        "description": "Who pays what: a stateless calculation and each case's settlement.",
    },
    {
        "name": "disputes",
        "description": "纠纷化解：鉴定、异议、仲裁协议、司法确认 · Compensation disputes: "
        "appraisal of a disputed loss and the parties' objections, arbitration agreements, "
        "judicial confirmation of a mediated agreement.",
    },
    {
        "name": "claims",
        "description": "一键理赔：保险公司应付的每笔款项及期限 · One-click claims: what each "
        "insurer is to pay to whom, by when; the overdue ones.",
    },
    {
        "name": "statistics",
        "description": "Reports, share handled online, time to decision, queue depth.",
    },
    {
        "name": "partners",
        "description": "Partner systems (app, insurers, mediation, court …), their "
        "credentials and webhook endpoints (admin).",
    },
    {
        "name": "deliveries",
        "description": "The outbound webhooks sent to partners, each attempt, and replay.",
    },
    {
        "name": "partner events",
        "description": "Signed events partners send in: claims, mediation, court.",
    },
    {
        "name": "operations",
        "description": "Liveness, readiness and metrics, for the platform; no token.",
    },
]

# (method, path) in the order an officer works; operations not (yet) served are skipped.
OFFICER_WORK: list[tuple[str, str]] = [
    ("post", "/v1/auth/token"),
    ("get", "/v1/centers/{center_id}/queue"),
    ("post", "/v1/centers/{center_id}/queue/next"),
    ("post", "/v1/cases/{case_id}/claim"),
    ("get", "/v1/cases/{case_id}"),
    ("get", "/v1/cases/{case_id}/evidence/sheet"),
    ("get", "/v1/cases/{case_id}/evidence/{evidence_id}/content"),
    # A late report (order 146 art. 18) is taken or referred before anything else.
    ("post", "/v1/cases/{case_id}/late-report"),
    ("post", "/v1/cases/{case_id}/evidence-requests"),
    ("post", "/v1/cases/{case_id}/release"),
    ("post", "/v1/cases/{case_id}/referral"),
    ("post", "/v1/cases/{case_id}/decision"),
    ("get", "/v1/cases/{case_id}/decision/document"),
]


def refine_for_officers(schema: dict[str, Any]) -> None:
    """Orders the officers' operations and declares `If-Match` required, in place."""
    paths: dict[str, Any] = schema.get("paths", {})
    first = [path for _, path in OFFICER_WORK if path in paths]
    ordered = {path: paths[path] for path in dict.fromkeys(first)}
    ordered.update((path, item) for path, item in paths.items() if path not in ordered)
    schema["paths"] = ordered
    for item in ordered.values():
        for operation in item.values():
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "header" and parameter.get("name") == "If-Match":
                    # cases.dependencies.IfMatch answers its absence with 428, not 422, so
                    # FastAPI sees it as optional; to a client it is required.
                    parameter["required"] = True
                    parameter["schema"] = {
                        "type": "string",
                        "title": "If-Match",
                        # kit.inputs refuses control characters in every header.
                        "pattern": HEADER_PATTERN,
                    }

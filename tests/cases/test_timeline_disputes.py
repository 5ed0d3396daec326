"""The data models of the compensation disputes' timeline events (cases/timeline_disputes.py)
against data built as their writers build it (file:function beside each), and against the
data of the types they changed as it was stored before compensation disputes."""

from __future__ import annotations

import uuid
from typing import Any, get_args

import pytest
from pydantic import ValidationError

from accident_online.cases import timeline_disputes
from accident_online.cases.timeline_disputes import (
    CHANGED_TIMELINE_EVENTS,
    DISPUTE_TIMELINE_EVENTS,
)
from accident_online.cases.timeline_events import TIMELINE_EVENTS
from accident_online.models.case import CaseStatus
from timeline_check import undeclared

ID = str(uuid.uuid4())
LINE = str(uuid.uuid4())
AT = "2026-12-01T10:15:00+08:00"
# external_events/service.py:_timeline_data adds these to every inbound event's data.
INBOUND = {"webhook_id": "evt_0001", "sent_at": AT}
# disputes.schemas.AgreedAmount dumped as sent (exclude_none, mode="json").
AGREED = [{"party": 0, "payer_party": 1, "amount": "800"}]
# claims/service.py:_amounts_data: models.dispute.AmountDue dumped in JSON mode.
DUES = [
    {"party": 0, "payer_party": 1, "insurer_code": "CPIC", "amount": "800.00", "rule": "ctpl"},
    {"party": 1, "payer_party": None, "insurer_code": "PICC", "amount": "0", "rule": "own"},
]

SAMPLES: dict[str, list[dict[str, Any]]] = {
    # disputes/appraisals.py:request_appraisal (materials: _materials)
    "case.appraisal_requested": [
        {
            "appraisal_id": ID,
            "appraiser": "appraisal-lc",
            "vehicles": [1],
            "question": "乙车右前翼子板及大灯的维修费用",
            "consenting_parties": [0, 1],
            "requested_by": "partner:app-lc",
            "materials": [
                {
                    "party": 1,
                    "label": "乙",
                    "plate": "鲁P12345",
                    "insurer_assessed_loss": None,
                    "repair_quotes": [{"amount": "6200.00", "shop": "聊城某4S店"}],
                    "photos": [
                        {
                            "kind": "overview_front",
                            "party": None,
                            "content_url": f"http://testserver/v1/cases/{ID}/evidence/x/content",
                            "view_url": "http://testserver/v1/evidence-links/abc",
                        },
                        {
                            "kind": "plate",
                            "party": 1,
                            "content_url": "http://testserver/c",
                            "view_url": "http://testserver/v",
                        },
                    ],
                },
                {
                    "party": 0,
                    "label": "甲",
                    "plate": "鲁P54321",
                    "insurer_assessed_loss": "3000.00",
                    "repair_quotes": [{"amount": "3100", "shop": None}],
                    "photos": [],
                },
            ],
        }
    ],
    # external_events/disputes.py:apply_dispute_event, AppraisalAccepted
    "appraisal.accepted": [{"appraisal_id": ID, **INBOUND}],
    # external_events/disputes.py:apply_dispute_event, AppraisalCompleted ({**data, **added},
    # added by disputes/appraisals.py:appraisal_completed)
    "appraisal.completed": [
        {
            "appraisal_id": ID,
            "party": 1,
            "assessed_loss": "5800.00",
            "report_number": "R-1",
            **INBOUND,
        },
        {
            "appraisal_id": ID,
            "party": 1,
            "assessed_loss": "5800.00",
            "report_number": "R-1",
            "report_url": "https://appraisal.example/r/1",
            "replaces": "5000.00",
            "objection_deadline": AT,
            **INBOUND,
        },
    ],
    # external_events/disputes.py:apply_dispute_event, AppraisalDeclined
    "appraisal.declined": [
        {"appraisal_id": ID, **INBOUND},
        {"appraisal_id": ID, "reason": "超出本机构鉴定范围。", **INBOUND},
    ],
    # disputes/appraisals.py:object_to_appraisal
    "appraisal.objected": [{"appraisal_id": ID, "party": 0, "reason": "鉴定未考虑配件价格。"}],
    # disputes/proceedings.py:record_arbitration_agreement
    "arbitration.agreement_recorded": [{"party": 0, "signed_at": AT}],
    # disputes/stage.py:_settle_answers (transition with path.event_type, arbitration)
    "case.arbitration_requested": [{"from": "disputed", "to": "in_arbitration", "parties": [0, 1]}],
    # external_events/disputes.py:apply_dispute_event (CourtNoteData, exclude_none)
    "arbitration.accepted": [{**INBOUND}, {"docket_number": "聊仲字〔2026〕1号", **INBOUND}],
    "arbitration.awarded": [
        {"award_number": "A-1", "amounts": AGREED, **INBOUND},
        {"amounts": [], **INBOUND},
    ],
    "arbitration.rejected": [{"reason": "仲裁协议无效。", **INBOUND}],
    "prefiling_mediation.started": [{"docket_number": "(2026)鲁1502诉前调1号", **INBOUND}],
    "prefiling_mediation.agreed": [{"docket_number": "D-1", "amounts": AGREED, **INBOUND}],
    "prefiling_mediation.failed": [{"reason": "双方未达成一致。", **INBOUND}],
    "confirmation.granted": [{**INBOUND}],
    "confirmation.refused": [{"reason": "协议内容违反法律规定。", **INBOUND}],
    "judgment.appealed": [{"docket_number": "(2026)鲁15民终1号", **INBOUND}],
    "enforcement.requested": [{**INBOUND}],
    "case.confirmation_requested": [
        # disputes/proceedings.py:request_confirmation (append_event, no status change)
        {
            "compensation_id": ID,
            "basis": "mediation_agreement",
            "amounts": DUES,
            "requested_by": "partner:mediation-lc",
        },
    ],
    # claims/service.py:settle_compensation
    "case.compensation_settled": [
        {"compensation_id": ID, "basis": "calculation", "amounts": DUES, "claims": 1},
        {"compensation_id": ID, "basis": "judgment", "amounts": [], "claims": 0},
    ],
    "case.awaiting_payment": [
        {"from": "in_mediation", "to": "awaiting_payment", "basis": "mediation_agreement"}
    ],
    # claims/service.py:_request
    "claim.requested": [
        {
            "claim_id": LINE,
            "insurer_code": "CPIC",
            "party": 0,
            "payee": {"party": 0, "label": "甲", "name": "张三"},
            "insured_party": 1,
            "amount": "800.00",
            "basis": "calculation",
            "rule": "ctpl",
            "due_at": AT,
            "due_rule": "《保险法》第二十三条",
            "insurer": "cpic",
        },
        {
            "claim_id": LINE,
            "insurer_code": "PINGAN",
            "party": 1,
            "payee": {"party": 1, "label": "乙", "name": "李四"},
            "insured_party": None,
            "amount": "120.5",
            "basis": "arbitration_award",
            "rule": "commercial",
            "due_at": AT,
            "due_rule": "《保险法》第二十三条",
        },
    ],
    # claims/service.py:withdraw_open_claims (reasons: disputes/appraisals.py,
    # disputes/proceedings.py:confirmation_refused)
    "claim.withdrawn": [
        {
            "claim_id": LINE,
            "party": 0,
            "amount": "800.00",
            "reason": "appraisal_requested",
            "insurer": "cpic",
        },
        {"claim_id": LINE, "party": 0, "amount": "800.00", "reason": "confirmation_refused"},
    ],
    # claims/service.py:announce_overdue_claims
    "claim.overdue": [
        {
            "claim_id": LINE,
            "insurer_code": "CPIC",
            "party": 0,
            "amount": "800.00",
            "paid_amount": "0.00",
            "due_at": AT,
            "insurer": "cpic",
        },
    ],
}

CHANGED_SAMPLES: dict[str, list[dict[str, Any]]] = {
    # disputes/stage.py:answer_decision (no `accepts` any more; arbitration a choice;
    # consent to 互碰自赔 beside it)
    "case.response": [
        {"party": 1, "resolution": "arbitration", "knock_for_knock_consent": False},
        {"party": 0, "resolution": "insurer_claim", "knock_for_knock_consent": True},
    ],
    # disputes/proceedings.py:send_to_court; external_events/service.py (mediation failed)
    "case.litigation_requested": [
        {"from": "awaiting_payment", "to": "in_litigation", "reason": "confirmation_refused"},
        {"from": "in_arbitration", "to": "in_litigation", "reason": "arbitration_rejected"},
        {"from": "in_mediation", "to": "in_litigation", "reason": "mediation_failed"},
        {"from": "disputed", "to": "in_litigation"},
    ],
    # claims/service.py:settle_compensation and claims/payments.py:_pay
    "case.closed": [
        {"from": "accepted", "to": "closed", "reason": "nothing_owed"},
        {"from": "awaiting_payment", "to": "closed", "reason": "claims_paid"},
    ],
    # claims/payments.py:record_claim_payment (data from external_events/service.py), and
    # record_attested_payment (an insurer not on the platform: the payee's or an admin's word)
    "claim.paid": [
        {
            "party": 0,
            "amount": "800.00",
            "claim_number": "CPIC-1",
            "paid_total": "800.00",
            "claims_paid": [LINE],
            **INBOUND,
        },
        {"party": 0, "amount": "100.00", "paid_total": "900.00", "claims_paid": [], **INBOUND},
        {
            "party": 0,
            "amount": "600.00",
            "claim_id": LINE,
            "insurer_code": "CPIC",
            "paid_at": AT,
            "reference": "CPIC-TRF-20261202-0001",
            "attested_by": "payee",
            "paid_total": "600.00",
            "claims_paid": [LINE],
        },
    ],
    # external_events/disputes.py:apply_dispute_event, MediationAgreed / JudgmentIssued
    "mediation.agreed": [{"agreement": "乙方赔偿 800 元。", "amounts": AGREED, **INBOUND}],
    "judgment.issued": [
        {
            "docket_number": "(2026)鲁1502民初1号",
            "summary": "乙方赔偿甲方 900 元。",
            "amounts": [{"party": 0, "payer_party": 1, "amount": "900.00"}],
            **INBOUND,
        },
    ],
}

# The changed types' data as stored before compensation disputes: still valid, so that
# the timeline of a case filed before reads back.
MAIN_SAMPLES: dict[str, dict[str, Any]] = {
    "case.response": {"party": 0, "accepts": True, "resolution": "insurer_claim"},
    "case.litigation_requested": {"from": "in_mediation", "to": "in_litigation"},
    "case.closed": {"from": "accepted", "to": "closed", "reason": "mediation_agreed"},
    "claim.paid": {"party": 0, "amount": "3000.00", "paid_total": "3000.00", **INBOUND},
    "mediation.agreed": {"agreement": "乙方赔偿 800 元。", **INBOUND},
    "judgment.issued": {"summary": "乙方赔偿甲方 900 元。", **INBOUND},
}


def test_every_model_has_samples_and_no_more() -> None:
    assert set(SAMPLES) == set(DISPUTE_TIMELINE_EVENTS)
    assert set(CHANGED_SAMPLES) == set(CHANGED_TIMELINE_EVENTS) == set(MAIN_SAMPLES)


@pytest.mark.parametrize(
    ("event_type", "data"),
    [(t, d) for t, items in SAMPLES.items() for d in items]
    + [(t, d) for t, items in CHANGED_SAMPLES.items() for d in items],
)
def test_the_writers_data_validates_and_declares_every_key(
    event_type: str, data: dict[str, Any]
) -> None:
    model = DISPUTE_TIMELINE_EVENTS.get(event_type) or CHANGED_TIMELINE_EVENTS[event_type]

    model.model_validate(data)
    assert undeclared(model, data) == []


@pytest.mark.parametrize("event_type", sorted(MAIN_SAMPLES))
def test_the_changed_models_still_take_mains_data(event_type: str) -> None:
    model = CHANGED_TIMELINE_EVENTS[event_type]

    assert TIMELINE_EVENTS[event_type] is model
    model.model_validate(MAIN_SAMPLES[event_type])
    assert undeclared(model, MAIN_SAMPLES[event_type]) == []


def test_every_status_named_is_a_case_status() -> None:
    used = {
        data[key]
        for items in (*SAMPLES.values(), *CHANGED_SAMPLES.values())
        for data in items
        for key in ("from", "to")
        if key in data
    }
    assert used <= {status.value for status in CaseStatus}


def test_the_timeline_registry_holds_every_dispute_type() -> None:
    for event_type, model in {**DISPUTE_TIMELINE_EVENTS, **CHANGED_TIMELINE_EVENTS}.items():
        assert TIMELINE_EVENTS[event_type] is model


def test_a_payment_is_an_insurers_event_or_an_attestation() -> None:
    paid = CHANGED_TIMELINE_EVENTS["claim.paid"]
    sent, attested = CHANGED_SAMPLES["claim.paid"][0], CHANGED_SAMPLES["claim.paid"][2]

    with pytest.raises(ValidationError):  # neither
        paid.model_validate({k: v for k, v in sent.items() if k not in INBOUND})
    with pytest.raises(ValidationError):  # both
        paid.model_validate({**attested, **INBOUND})
    with pytest.raises(ValidationError):  # an attestation without its reference
        paid.model_validate({k: v for k, v in attested.items() if k != "reference"})
    with pytest.raises(ValidationError):
        paid.model_validate({**attested, "attested_by": "insurer"})


def test_amounts_as_stored_and_unknown_keys_are_caught() -> None:
    settled = DISPUTE_TIMELINE_EVENTS["case.compensation_settled"]
    bad = {"compensation_id": ID, "basis": "calculation", "amounts": DUES, "claims": 1}

    with pytest.raises(ValidationError):
        settled.model_validate({**bad, "amounts": [{**DUES[0], "amount": 800}]})
    with pytest.raises(ValidationError):
        settled.model_validate({**bad, "basis": "gift"})
    assert undeclared(settled, {**bad, "amounts": [{**DUES[0], "extra": 1}]}) == [
        "data.amounts[].extra"
    ]


def test_the_spelled_out_values_are_the_disputes_branchs() -> None:
    # models.dispute.CompensationBasis and decisions.schemas.Resolution of `disputes`; at
    # the merge, test_timeline_documented's enum test can check them against the enums.
    assert set(get_args(timeline_disputes.Basis)) == {
        "calculation",
        "mediation_agreement",
        "prefiling_mediation",
        "arbitration_award",
        "judgment",
    }
    assert set(get_args(timeline_disputes.Resolution)) == {
        "insurer_claim",
        "mediation",
        "arbitration",
        "litigation",
    }

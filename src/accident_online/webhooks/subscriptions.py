"""Who receives which outbound event (CONTRACT.md "Webhooks"): one table, in code."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Final, Literal


class Audience(StrEnum):
    filing_app = "filing_app"  # the app partner that filed the report
    party_insurers = "party_insurers"  # the insurers of every party, where connected
    mediation = "mediation"  # the case's mediation organisation (cases.resolvers)
    court = "court"  # the case's court (cases.resolvers)
    arbitration = "arbitration"  # the case's arbitration commission (cases.resolvers)
    appraiser = "appraiser"  # the appraisal organisation the event names (`appraiser`)
    paying_insurer = "paying_insurer"  # the insurer a claim line is for (`insurer`)


# How the OpenAPI document names each audience to a reader.
AUDIENCE_TEXT: Final[Mapping[Audience, str]] = MappingProxyType(
    {
        Audience.filing_app: "the app partner that filed the report",
        Audience.party_insurers: "every insurer of every vehicle, compulsory (交强险) and "
        "commercial, each told of its own policies only (`insured_parties`, "
        "`insured_policies`)",
        Audience.mediation: "the case's mediation organisation",
        Audience.court: "the case's court",
        Audience.arbitration: "the case's arbitration commission",
        Audience.appraiser: "the appraisal organisation asked (`appraiser`)",
        Audience.paying_insurer: "the insurer that is to pay (`insurer`)",
    }
)


@dataclass(frozen=True)
class InsuredPolicy:
    """One policy of one vehicle with a connected insurer: who is told about which party."""

    partner_id: str
    party: int
    policy: Literal["compulsory", "commercial"]
    policy_number: str | None


_CASE_PARTIES: Final = frozenset({Audience.filing_app, Audience.party_insurers})

SUBSCRIPTIONS: Final[Mapping[str, frozenset[Audience]]] = MappingProxyType(
    {
        "case.reported": _CASE_PARTIES,
        "case.evidence_requested": _CASE_PARTIES,
        "case.decided": _CASE_PARTIES,
        "case.accepted": _CASE_PARTIES,
        "case.disputed": _CASE_PARTIES,
        "case.referred_offline": _CASE_PARTIES,
        # A case never confirmed in time closes (housekeeping); a late report taken goes on
        # (the other answer to it is case.referred_offline).
        "case.expired": _CASE_PARTIES,
        "case.late_report_taken": _CASE_PARTIES,
        "case.closed": _CASE_PARTIES,
        # The determination's legal life (order 146).
        "case.confirmed": _CASE_PARTIES,
        "case.corrected": _CASE_PARTIES,
        # After a correction the case waits again for that party: its status changes.
        "case.reconfirmation_requested": _CASE_PARTIES,
        "case.review_requested": _CASE_PARTIES,
        "case.review_decided": _CASE_PARTIES,
        "case.decision_revoked": _CASE_PARTIES,
        "case.decision_final": _CASE_PARTIES,
        "case.mediation_requested": frozenset({Audience.mediation}),
        "case.litigation_requested": frozenset({Audience.court}),
        # Compensation disputes (disputes/, claims/).
        "case.appraisal_requested": frozenset({Audience.appraiser}),
        "case.arbitration_requested": frozenset({Audience.arbitration}),
        "case.confirmation_requested": frozenset({Audience.court}),
        "case.compensation_settled": _CASE_PARTIES,
        "claim.requested": frozenset({Audience.paying_insurer}),
        "claim.withdrawn": frozenset({Audience.paying_insurer}),
        "claim.overdue": frozenset({Audience.filing_app, Audience.paying_insurer, Audience.court}),
    }
)


def recipients(
    event_type: str,
    *,
    filer: str,
    insured: Iterable[InsuredPolicy],
    mediation: str | None,
    court: str | None,
    arbitration: str | None = None,
    data: Mapping[str, Any] | None = None,
) -> dict[str, list[InsuredPolicy]]:
    """Who receives an event of this type about a case, per SUBSCRIPTIONS: partner id →
    the policies it holds on the case's vehicles (empty for partners that insure none).

    ``filer`` is the app partner that filed the case, ``insured`` every policy of its
    parties with a connected insurer (a vehicle may have two: 交强险 and a commercial
    policy, each possibly with another insurer), ``mediation`` and ``court`` the one
    organisation of each the case went to (cases.resolvers), if any; ``arbitration``
    likewise; ``data`` the event's own data, which names the appraiser or the paying
    insurer where an event is for one.
    """
    audiences = SUBSCRIPTIONS.get(event_type, frozenset())
    found: dict[str, list[InsuredPolicy]] = {}
    if Audience.filing_app in audiences:
        found[filer] = []
    if Audience.party_insurers in audiences:
        for policy in insured:
            found.setdefault(policy.partner_id, []).append(policy)
    if Audience.mediation in audiences and mediation is not None:
        found.setdefault(mediation, [])
    if Audience.court in audiences and court is not None:
        found.setdefault(court, [])
    if Audience.arbitration in audiences and arbitration is not None:
        found.setdefault(arbitration, [])
    for audience, key in ((Audience.appraiser, "appraiser"), (Audience.paying_insurer, "insurer")):
        named = (data or {}).get(key)
        if audience in audiences and isinstance(named, str):
            found.setdefault(named, [])
    return found


def named_partners(data: Mapping[str, Any]) -> set[str]:
    """The partners an event's data names as its receivers (appraiser, paying insurer)."""
    return {value for key in ("appraiser", "insurer") if isinstance(value := data.get(key), str)}

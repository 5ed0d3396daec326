"""Who receives which outbound event (CONTRACT.md "Webhooks"): one table, in code."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Final


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
        Audience.party_insurers: "the insurers of the parties (with `insured_parties`)",
        Audience.mediation: "the case's mediation organisation",
        Audience.court: "the case's court",
        Audience.arbitration: "the case's arbitration commission",
        Audience.appraiser: "the appraisal organisation asked (`appraiser`)",
        Audience.paying_insurer: "the insurer that is to pay (`insurer`)",
    }
)

_CASE_PARTIES: Final = frozenset({Audience.filing_app, Audience.party_insurers})

SUBSCRIPTIONS: Final[Mapping[str, frozenset[Audience]]] = MappingProxyType(
    {
        "case.reported": _CASE_PARTIES,
        "case.evidence_requested": _CASE_PARTIES,
        "case.decided": _CASE_PARTIES,
        "case.accepted": _CASE_PARTIES,
        "case.disputed": _CASE_PARTIES,
        "case.referred_offline": _CASE_PARTIES,
        "case.closed": _CASE_PARTIES,
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
    insured: Iterable[tuple[str, int]],
    mediation: str | None,
    court: str | None,
    arbitration: str | None = None,
    data: Mapping[str, Any] | None = None,
) -> dict[str, list[int]]:
    """Who receives an event of this type about a case, per SUBSCRIPTIONS: partner id →
    the party indexes it insures (empty for partners that insure no party).

    ``filer`` is the app partner that filed the case, ``insured`` its parties' connected
    insurers as (partner id, party index), ``mediation`` and ``court`` the one
    organisation of each the case went to (cases.resolvers), if any; ``data`` the event's
    own data, which names the appraiser or the paying insurer where an event is for one.
    """
    audiences = SUBSCRIPTIONS.get(event_type, frozenset())
    found: dict[str, list[int]] = {}
    if Audience.filing_app in audiences:
        found[filer] = []
    if Audience.party_insurers in audiences:
        for partner_id, index in insured:
            found.setdefault(partner_id, []).append(index)
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

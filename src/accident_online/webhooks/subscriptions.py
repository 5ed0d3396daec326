"""Who receives which outbound event (CONTRACT.md "Webhooks"): one table, in code."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Final


class Audience(StrEnum):
    filing_app = "filing_app"  # the app partner that filed the report
    party_insurers = "party_insurers"  # the insurers of every party, where connected
    mediation = "mediation"  # the case's mediation organisation (cases.resolvers)
    court = "court"  # the case's court (cases.resolvers)


# How the OpenAPI document names each audience to a reader.
AUDIENCE_TEXT: Final[Mapping[Audience, str]] = MappingProxyType(
    {
        Audience.filing_app: "the app partner that filed the report",
        Audience.party_insurers: "the insurers of the parties (with `insured_parties`)",
        Audience.mediation: "the case's mediation organisation",
        Audience.court: "the case's court",
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
        # The determination's legal life (order 146).
        "case.confirmed": _CASE_PARTIES,
        "case.corrected": _CASE_PARTIES,
        "case.review_requested": _CASE_PARTIES,
        "case.review_decided": _CASE_PARTIES,
        "case.decision_revoked": _CASE_PARTIES,
        "case.decision_final": _CASE_PARTIES,
        "case.mediation_requested": frozenset({Audience.mediation}),
        "case.litigation_requested": frozenset({Audience.court}),
    }
)


def recipients(
    event_type: str,
    *,
    filer: str,
    insured: Iterable[tuple[str, int]],
    mediation: str | None,
    court: str | None,
) -> dict[str, list[int]]:
    """Who receives an event of this type about a case, per SUBSCRIPTIONS: partner id →
    the party indexes it insures (empty for partners that insure no party).

    ``filer`` is the app partner that filed the case, ``insured`` its parties' connected
    insurers as (partner id, party index), ``mediation`` and ``court`` the one
    organisation of each the case went to (cases.resolvers), if any.
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
    return found

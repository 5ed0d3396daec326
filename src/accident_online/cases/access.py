"""Who may see which case, and whose personal data they see in full.

One place for object-level authorisation (OWASP API1): every query for cases goes
through ``visible_to``; a case outside it is answered 404, never 403.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, false, true
from sqlmodel import col, select

from accident_online.auth.principal import Principal
from accident_online.models.case import Case, CaseParty
from accident_online.models.dispute import Appraisal
from accident_online.models.user import Role


def visible_to(principal: Principal) -> ColumnElement[bool]:
    match principal.role:
        case Role.admin:
            return true()
        case Role.officer:
            return col(Case.center_id) == principal.center_id
        case Role.app:
            return col(Case.filed_by_partner_id) == principal.partner_id
        case Role.insurer:
            # Either of a vehicle's insurers: the compulsory (交强险) or the commercial one.
            insured = select(CaseParty.case_id).where(
                (col(CaseParty.insurer_partner_id) == principal.partner_id)
                | (col(CaseParty.commercial_insurer_partner_id) == principal.partner_id)
            )
            return col(Case.id).in_(insured)
        # The one organisation the case went to (cases.resolvers), while it is there.
        case Role.mediation:
            return (col(Case.resolution) == "mediation") & (
                col(Case.mediation_partner_id) == principal.partner_id
            )
        # The court a lawsuit or a request for judicial confirmation went to.
        case Role.court:
            return col(Case.court_partner_id) == principal.partner_id
        case Role.arbitration:
            return (col(Case.resolution) == "arbitration") & (
                col(Case.arbitration_partner_id) == principal.partner_id
            )
        # An appraisal organisation: the cases it was asked to appraise.
        case Role.appraisal:
            asked = select(Appraisal.case_id).where(
                Appraisal.appraiser_partner_id == principal.partner_id
            )
            return col(Case.id).in_(asked)
        # The city-level authority sees the cases whose determination it was asked to review
        # (every such case has the review's time limit).
        case Role.reviewer:
            return col(Case.review_due_at).is_not(None)
    return false()


def parties_shown_in_full(
    principal: Principal, case: Case, parties: Sequence[CaseParty]
) -> frozenset[int]:
    """The party indexes whose ID, phone and licence numbers this reader needs in full.

    The app that filed the report is the drivers' own; the center's officers decide on
    the people; mediation, arbitration and the court settle between them; an insurer needs its own
    insured. Admins and insurers of the other parties see them masked (DOMAIN.md).
    """
    everyone = frozenset(party.index for party in parties)
    match principal.role:
        case (
            Role.app | Role.officer | Role.reviewer | Role.mediation | Role.court | Role.arbitration
        ):
            return everyone
        case Role.insurer:
            return frozenset(
                party.index
                for party in parties
                if principal.partner_id
                in (party.insurer_partner_id, party.commercial_insurer_partner_id)
            )
    return frozenset()

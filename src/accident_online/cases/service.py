"""The case record: loading what a reader may see, moving statuses, writing the timeline."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from accident_online.auth.principal import Principal
from accident_online.cases import repository
from accident_online.cases.access import parties_shown_in_full, visible_to
from accident_online.cases.determination_rules import (
    determination_overdue,
    is_agreement_case,
    missing_confirmations,
    review_overdue,
)
from accident_online.cases.evidence_kinds import EvidenceKind, Needed, is_withheld, missing_evidence
from accident_online.cases.evidence_links import EvidenceLinks, photo_path
from accident_online.cases.exceptions import CaseNotFound, InvalidTransition
from accident_online.cases.parties import late_report_read, party_read
from accident_online.cases.schemas import (
    AgreedLiabilityRead,
    CaseRead,
    CaseSummary,
    EvidenceRead,
    LocationRead,
    MissingEvidence,
    OfficerRead,
    ResponseRead,
)
from accident_online.cases.state import can_transition
from accident_online.kit.db import new_row
from accident_online.kit.i18n import _
from accident_online.kit.time import utc_now
from accident_online.models.case import (
    Case,
    CaseEvent,
    CaseParty,
    CaseResponse,
    CaseStatus,
    Evidence,
)
from accident_online.models.user import User
from accident_online.parties.labels import party_label
from accident_online.webhooks.outbox import enqueue_case_event

SYSTEM_ACTOR = "system"


def actor_of(principal: Principal) -> str:
    return principal.subject


async def load_visible_case(
    session: AsyncSession, principal: Principal, case_id: uuid.UUID, *, for_update: bool = False
) -> Case:
    """The case if this caller may see it; 404 otherwise, so that ids reveal nothing."""
    case = await repository.find_case(
        session, case_id, visible=visible_to(principal), for_update=for_update
    )
    if case is None:
        raise CaseNotFound()
    return case


def next_event(
    case: Case,
    *,
    type: str,
    actor: str,
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> CaseEvent:
    """The case's next timeline event, the case made a new version of the record with it.

    Every event of every case is made here (intake's first two as well): the event takes
    the case's next sequence number, and the case its next version and ``updated_at``.
    Writes nothing; the caller adds both to its session.
    """
    at = at or utc_now()
    case.last_event_seq += 1
    case.version += 1
    case.updated_at = at
    return new_row(
        CaseEvent,
        case_id=case.id,
        seq=case.last_event_seq,
        type=type,
        at=at,
        actor=actor,
        data=data or {},
    )


async def append_event(
    session: AsyncSession, case: Case, *, type: str, actor: str, data: dict[str, Any] | None = None
) -> CaseEvent:
    """Records something that happened to the case and makes it a new version of the record."""
    event = next_event(case, type=type, actor=actor, data=data)
    session.add(case)
    await repository.add_event(session, event)
    await enqueue_case_event(session, case, event)
    return event


async def transition(
    session: AsyncSession,
    case: Case,
    target: CaseStatus,
    *,
    actor: str,
    event_type: str | None = None,
    data: dict[str, Any] | None = None,
) -> CaseEvent:
    """The only way a case's status changes: checked against ALLOWED_TRANSITIONS."""
    current = CaseStatus(case.status)
    if not can_transition(current, target):
        raise InvalidTransition(
            _(
                "A case that is {current} cannot become {target}.",
                current=current.value,
                target=target.value,
            )
        )
    case.status = target
    now = utc_now()
    if target == CaseStatus.queued:
        case.queued_at = now
    elif target == CaseStatus.decided or (
        target == CaseStatus.final and current == CaseStatus.under_review
    ):
        case.decided_at = now
    elif target in (CaseStatus.closed, CaseStatus.referred_offline, CaseStatus.expired):
        case.closed_at = now
    if target == CaseStatus.final:
        case.final_at = now
    return await append_event(
        session,
        case,
        type=event_type or f"case.{target.value}",
        actor=actor,
        data={"from": current.value, "to": target.value, **(data or {})},
    )


def missing_for(
    case: Case, parties: Sequence[CaseParty], evidence: Sequence[Evidence]
) -> list[Needed]:
    return missing_evidence(
        party_count=len(parties),
        present=[(item.kind, item.party) for item in evidence],
        requested=_requested(case),
    )


def _requested(case: Case) -> list[Needed]:
    """Photos an officer asked to be re-shot."""
    return [Needed(EvidenceKind(item.kind), item.party) for item in case.requested_evidence]


def missing_kinds(needed: Sequence[Needed]) -> list[str]:
    return list(dict.fromkeys(item.kind.value for item in needed))


async def read_case(
    session: AsyncSession, case: Case, principal: Principal, *, links: EvidenceLinks | None
) -> CaseRead:
    """The shared case record, with personal data masked for this reader."""
    ids = [case.id]
    parties = (await repository.parties_of(session, ids))[case.id]
    evidence = (await repository.evidence_of(session, ids))[case.id]
    responses = (await repository.responses_of(session, ids))[case.id]
    officer = None
    if case.assigned_officer_id is not None:
        user = await session.get(User, case.assigned_officer_id)
        officer = OfficerRead(
            id=case.assigned_officer_id,
            username=user.username if user else None,
            display_name=officer_name(user) if user else None,
            badge_number=user.badge_number if user else None,
            claim_expires_at=case.claim_expires_at,
        )
    return case_record(
        case,
        parties=parties,
        evidence=evidence,
        responses=responses,
        officer=officer,
        full=parties_shown_in_full(principal, case, parties),
        links=links,
    )


def evidence_read(
    case_id: uuid.UUID, item: Evidence, *, full: frozenset[int], links: EvidenceLinks | None
) -> EvidenceRead:
    """A photo as this reader sees it: an identity document of a party whose personal data
    the reader sees masked is listed as withheld, without a link to open it."""
    withheld = is_withheld(item.kind, item.party, full)
    view_url = None
    if links is not None and not withheld:
        view_url = links.url(case_id, item.id, full=item.party is None or item.party in full)
    return EvidenceRead(
        id=item.id,
        kind=item.kind,
        party=item.party,
        content_type=item.content_type,
        size=item.size,
        sha256=item.sha256,
        uploaded_at=item.uploaded_at,
        content_url=photo_path(case_id, item.id, then="content"),
        view_url=view_url,
        withheld=withheld,
    )


def officer_name(user: User) -> str:
    """The name people read for an account: its display name, else its username."""
    return user.display_name or user.username


def agreed_liability_read(case: Case) -> list[AgreedLiabilityRead] | None:
    """The parties' own agreement, each party's label (甲, 乙…) beside its index."""
    if case.agreed_liability is None:
        return None
    return [
        AgreedLiabilityRead(
            party=item.party,
            grade=item.grade,
            share_percent=item.share_percent,
            label=party_label(item.party),
        )
        for item in case.agreed_liability
    ]


def case_record(
    case: Case,
    *,
    parties: Sequence[CaseParty],
    evidence: Sequence[Evidence],
    responses: Sequence[CaseResponse],
    officer: OfficerRead | None,
    full: frozenset[int],
    links: EvidenceLinks | None,
) -> CaseRead:
    """``links`` signs each photo's ``view_url`` (None where no reader opens one, e.g. the
    PDF)."""
    needed = missing_for(case, parties, evidence)
    now = utc_now()
    return CaseRead(
        id=case.id,
        number=case.number,
        status=case.status,
        version=case.version,
        center_id=case.center_id,
        home_center_id=case.home_center_id,
        routing_reason=case.routing_reason,
        filed_by=case.filed_by_partner_id,
        occurred_at=case.occurred_at,
        reported_at=case.reported_at,
        queued_at=case.queued_at,
        decided_at=case.decided_at,
        closed_at=case.closed_at,
        location=LocationRead(
            lat=case.latitude, lon=case.longitude, address=case.address, district=case.district
        ),
        weather=case.weather,
        road_surface=case.road_surface,
        light=case.light,
        accident_form=case.accident_form,
        late=case.late,
        late_report=late_report_read(case),
        description=case.description,
        eligibility_answers=case.eligibility_answers,
        agreed_liability=agreed_liability_read(case),
        parties=[party_read(party, full=party.index in full) for party in parties],
        missing=missing_kinds(needed),
        missing_evidence=[MissingEvidence(kind=n.kind.value, party=n.party) for n in needed],
        evidence_request_message=case.evidence_request_message,
        evidence=[evidence_read(case.id, item, full=full, links=links) for item in evidence],
        assigned_officer=officer,
        decision=case.decision,
        procedure="agreement" if is_agreement_case(case) else "determination",
        determination_requested=case.determination_requested,
        confirmations=case.confirmations,
        missing_confirmations=missing_confirmations(len(parties), case.confirmations),
        determination_due_at=case.determination_due_at,
        determination_overdue=determination_overdue(case, now=now),
        receipts=case.receipts,
        review=case.review,
        review_overdue=review_overdue(case, now=now),
        revoked_decisions=case.revoked_decisions,
        final_at=case.final_at,
        responses=[
            ResponseRead(
                party=r.party,
                label=party_label(r.party),
                resolution=r.resolution,
                knock_for_knock_consent=r.knock_for_knock_consent,
                answered_at=r.answered_at,
            )
            for r in responses
        ],
        resolution=case.resolution,
        referral_reason=case.referral_reason,
    )


async def summarise_cases(session: AsyncSession, cases: Sequence[Case]) -> list[CaseSummary]:
    """List items for a page of cases, in three queries whatever the page size.

    Only the columns a list shows are read for the parties and photos (an officer's queue
    is read often; loading whole rows was half its time, issue 6 benchmarks).
    """
    ids = [case.id for case in cases]
    now = utc_now()
    plates = await repository.plates_of(session, ids)
    photos = await repository.evidence_kinds_of(session, ids)
    return [
        CaseSummary(
            id=case.id,
            number=case.number,
            status=case.status,
            version=case.version,
            center_id=case.center_id,
            routing_reason=case.routing_reason,
            occurred_at=case.occurred_at,
            reported_at=case.reported_at,
            queued_at=case.queued_at,
            district=case.district,
            address=case.address,
            plates=plates[case.id],
            missing=missing_kinds(
                missing_evidence(
                    party_count=len(plates[case.id]),
                    present=photos[case.id],
                    requested=_requested(case),
                )
            ),
            determination_due_at=case.determination_due_at,
            determination_overdue=determination_overdue(case, now=now),
        )
        for case in cases
    ]


async def list_visible_cases(
    session: AsyncSession,
    principal: Principal,
    *,
    status: CaseStatus | None,
    center_id: str | None,
    plate: str | None,
    since: datetime | None,
    before: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> Sequence[Case]:
    return await repository.list_cases(
        session,
        visibility=visible_to(principal),
        status=status,
        center_id=center_id,
        plate=plate,
        since=since,
        before=before,
        limit=limit,
    )


async def list_events(
    session: AsyncSession, case: Case, *, after_seq: int, limit: int
) -> Sequence[CaseEvent]:
    return await repository.list_events(session, case.id, after_seq=after_seq, limit=limit)

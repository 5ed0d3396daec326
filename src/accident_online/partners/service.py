from __future__ import annotations

import base64
import secrets
from collections.abc import Sequence

from sqlmodel.ext.asyncio.session import AsyncSession

from accident_online.kit.passwords import hash_secret
from accident_online.models.partner import Partner
from accident_online.partners import repository
from accident_online.partners.exceptions import InsurerCodeTaken, PartnerExists, PartnerNotFound
from accident_online.partners.schemas import PartnerCreate, PartnerCreated, PartnerRead


def new_webhook_secret() -> str:
    # Standard Webhooks: "whsec_" + base64 of 24 to 64 random bytes.
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


async def register_partner(session: AsyncSession, data: PartnerCreate) -> PartnerCreated:
    if await repository.get_partner(session, data.id) is not None:
        raise PartnerExists()
    taken = await repository.taken_insurer_codes(session, data.insurer_codes)
    if taken:
        raise InsurerCodeTaken(f"Insurer codes already registered: {', '.join(sorted(taken))}.")
    client_secret = secrets.token_urlsafe(32)
    webhook_secret = new_webhook_secret()
    partner = Partner(
        id=data.id,
        kind=data.kind,
        name=data.name,
        webhook_url=str(data.webhook_url) if data.webhook_url else None,
        client_secret_hash=await hash_secret(client_secret),
        webhook_secret=webhook_secret,
    )
    await repository.add_partner(session, partner, data.insurer_codes)
    return PartnerCreated(
        **_read(partner, data.insurer_codes).model_dump(),
        client_id=partner.id,
        client_secret=client_secret,
        webhook_secret=webhook_secret,
    )


async def get_partner(session: AsyncSession, partner_id: str) -> PartnerRead:
    partner = await repository.get_partner(session, partner_id)
    if partner is None:
        raise PartnerNotFound()
    codes = await repository.insurer_codes_of(session, [partner.id])
    return _read(partner, codes[partner.id])


async def list_partners(
    session: AsyncSession, *, after: str | None, limit: int
) -> list[PartnerRead]:
    partners = await repository.list_partners(session, after=after, limit=limit)
    codes = await repository.insurer_codes_of(session, [p.id for p in partners])
    return [_read(partner, codes[partner.id]) for partner in partners]


def _read(partner: Partner, insurer_codes: Sequence[str]) -> PartnerRead:
    return PartnerRead(
        id=partner.id,
        kind=partner.kind,
        name=partner.name,
        webhook_url=partner.webhook_url,
        insurer_codes=list(insurer_codes),
        created_at=partner.created_at,
    )

"""Registering partner systems, their webhook URLs and secrets, and their rotation."""

from __future__ import annotations

import asyncio
import base64
import ipaddress
import secrets
import socket
from collections.abc import Sequence
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlmodel.ext.asyncio.session import AsyncSession

from accident_online.kit.i18n import _
from accident_online.kit.net import is_public_address
from accident_online.kit.passwords import hash_secret
from accident_online.kit.time import utc_now
from accident_online.models.partner import Partner
from accident_online.partners import repository
from accident_online.partners.exceptions import (
    InsurerCodeTaken,
    PartnerExists,
    PartnerNotFound,
    UnsafeWebhookUrl,
)
from accident_online.partners.schemas import (
    ClientSecretRotated,
    PartnerCreate,
    PartnerCreated,
    PartnerRead,
    PartnerUpdate,
    SecretRotated,
)

# CONTRACT.md "Auth and administration": after a rotation, outbound signatures carry the
# old and the new secret for 24 h, and inbound signatures may use either.
PREVIOUS_SECRET_VALID_FOR = timedelta(hours=24)

# Cloud metadata services (AWS, GCP, Azure, ... on IPv4; AWS on IPv6): the classic
# server-side request forgery target. The IPv4 one is link-local anyway; named here so
# that the rule says what it is for.
RESOLVE_TIMEOUT_SECONDS = 5.0


def new_webhook_secret() -> str:
    # Standard Webhooks: "whsec_" + base64 of 24 to 64 random bytes.
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


async def check_webhook_url(url: str, *, allow_private_targets: bool) -> None:
    """Refuses webhook URLs that would make this service attack its own network (SSRF).

    Always: only http(s), no credentials in the URL (they would end up in logs). Unless
    private targets are allowed (development, tests): every address the host resolves
    to must be public, and a host that does not resolve is refused. The delivery worker
    checks the addresses again before each send, since DNS answers change.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _unsafe("only http and https URLs with a host are accepted")
    if parts.username is not None or parts.password is not None:
        raise _unsafe("the URL must not carry a user name or password")
    if allow_private_targets:
        return
    try:
        infos = await asyncio.wait_for(
            asyncio.get_running_loop().getaddrinfo(parts.hostname, None, type=socket.SOCK_STREAM),
            timeout=RESOLVE_TIMEOUT_SECONDS,
        )
    except (OSError, TimeoutError, UnicodeError) as error:
        raise _unsafe(f"the host {parts.hostname} does not resolve") from error
    addresses = {ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos}
    if not addresses:
        raise _unsafe(f"the host {parts.hostname} does not resolve")
    refused = sorted(str(a) for a in addresses if not is_public_address(a))
    if refused:
        raise _unsafe(
            f"the host {parts.hostname} resolves to a non-public address ({', '.join(refused)})"
        )


def _unsafe(message: str) -> UnsafeWebhookUrl:
    return UnsafeWebhookUrl.at(
        ["body", "webhook_url"], message, detail=f"Webhook URL refused: {message}."
    )


async def register_partner(
    session: AsyncSession, data: PartnerCreate, *, allow_private_targets: bool = False
) -> PartnerCreated:
    """``allow_private_targets`` comes from settings (``allow_private_webhook_targets``);
    it defaults to the safe answer, so a caller that forgets it cannot open a hole."""
    webhook_url = str(data.webhook_url) if data.webhook_url else None
    if webhook_url is not None:
        await check_webhook_url(webhook_url, allow_private_targets=allow_private_targets)
    if await repository.get_partner(session, data.id) is not None:
        raise PartnerExists()
    taken = await repository.taken_insurer_codes(session, data.insurer_codes)
    if taken:
        raise InsurerCodeTaken(
            _("Insurer codes already registered: {codes}.", codes=", ".join(sorted(taken)))
        )
    client_secret = secrets.token_urlsafe(32)
    webhook_secret = new_webhook_secret()
    partner = Partner(
        id=data.id,
        kind=data.kind,
        name=data.name,
        webhook_url=webhook_url,
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


async def _partner_for_update(session: AsyncSession, partner_id: str) -> Partner:
    partner = await repository.get_partner(session, partner_id, for_update=True)
    if partner is None:
        raise PartnerNotFound()
    return partner


async def update_partner(
    session: AsyncSession,
    partner_id: str,
    data: PartnerUpdate,
    *,
    allow_private_targets: bool = False,
    now: datetime | None = None,
) -> PartnerRead:
    """Changes what was sent. A new webhook_url is a new endpoint: the 410 that disabled
    the old one says nothing about it, so it starts enabled (unless webhook_enabled is
    false in the same request)."""
    now = now or utc_now()
    partner = await _partner_for_update(session, partner_id)
    sent = data.model_fields_set
    if "webhook_url" in sent:
        webhook_url = str(data.webhook_url) if data.webhook_url else None
        if webhook_url is not None:
            await check_webhook_url(webhook_url, allow_private_targets=allow_private_targets)
        if webhook_url != partner.webhook_url:
            partner.webhook_url = webhook_url
            partner.webhook_disabled_at = None
    if data.name is not None:
        partner.name = data.name
    if data.webhook_enabled is True:
        partner.webhook_disabled_at = None
    elif data.webhook_enabled is False and partner.webhook_disabled_at is None:
        partner.webhook_disabled_at = now
    session.add(partner)
    await session.flush()
    codes = await repository.insurer_codes_of(session, [partner.id])
    return _read(partner, codes[partner.id])


async def rotate_webhook_secret(
    session: AsyncSession, partner_id: str, *, now: datetime | None = None
) -> SecretRotated:
    """A new secret; the current one becomes the previous one for 24 h.

    Rotating again within those 24 h drops the secret before the current one at once:
    only two secrets are ever valid.
    """
    now = now or utc_now()
    partner = await _partner_for_update(session, partner_id)
    new_secret = new_webhook_secret()
    partner.previous_webhook_secret = partner.webhook_secret
    partner.previous_secret_expires_at = now + PREVIOUS_SECRET_VALID_FOR
    partner.webhook_secret = new_secret
    session.add(partner)
    await session.flush()
    return SecretRotated(
        partner_id=partner.id,
        webhook_secret=new_secret,
        previous_secret_expires_at=partner.previous_secret_expires_at,
    )


async def set_partner_disabled(
    session: AsyncSession, partner_id: str, *, disabled: bool, now: datetime | None = None
) -> PartnerRead:
    """Disabling stops its sign-in and ends every token it holds (token_version + 1);
    enabling allows sign-in again, and the old tokens stay ended."""
    partner = await _partner_for_update(session, partner_id)
    if disabled and partner.disabled_at is None:
        partner.disabled_at = now or utc_now()
        partner.token_version += 1
    elif not disabled:
        partner.disabled_at = None
    session.add(partner)
    await session.flush()
    codes = await repository.insurer_codes_of(session, [partner.id])
    return _read(partner, codes[partner.id])


async def rotate_client_secret(session: AsyncSession, partner_id: str) -> ClientSecretRotated:
    """A new client secret, shown once. Unlike the webhook secret there is no overlap: a
    client secret is rotated because it may have leaked, so the old one, and every token
    it got, stop working now."""
    partner = await _partner_for_update(session, partner_id)
    client_secret = secrets.token_urlsafe(32)
    partner.client_secret_hash = await hash_secret(client_secret)
    partner.token_version += 1
    session.add(partner)
    await session.flush()
    return ClientSecretRotated(
        partner_id=partner.id, client_id=partner.id, client_secret=client_secret
    )


def webhook_secrets(partner: Partner, *, now: datetime) -> list[str]:
    """The secrets a message from or to this partner may be signed with right now."""
    valid = [partner.webhook_secret]
    expires_at = partner.previous_secret_expires_at
    if partner.previous_webhook_secret and expires_at is not None and expires_at > now:
        valid.append(partner.previous_webhook_secret)
    return valid


def _read(partner: Partner, insurer_codes: Sequence[str]) -> PartnerRead:
    return PartnerRead(
        id=partner.id,
        kind=partner.kind,
        name=partner.name,
        webhook_url=partner.webhook_url,
        webhook_disabled_at=partner.webhook_disabled_at,
        insurer_codes=list(insurer_codes),
        created_at=partner.created_at,
        disabled_at=partner.disabled_at,
    )

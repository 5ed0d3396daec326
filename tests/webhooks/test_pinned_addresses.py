"""The worker connects to the address it checked: one lookup per connection, no rebinding.

The resolver is the seam (kit.net.Resolver): these tests answer as a partner's DNS
would, while the endpoint is a real receiver on 127.0.0.1.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from tests.webhooks.test_worker import add_messages, add_partner, attempts_of

from accident_online.kit.net import IPAddress
from accident_online.webhooks.worker import DeliveryWorker, WorkerSettings


class ScriptedDns:
    """Answers each lookup of a name with the next of its scripted answers."""

    def __init__(self, answers: Sequence[str]) -> None:
        self.answers = [ipaddress.ip_address(a) for a in answers]
        self.lookups: list[str] = []

    async def __call__(self, host: str) -> list[IPAddress]:
        self.lookups.append(host)
        return [self.answers[min(len(self.lookups), len(self.answers)) - 1]]


def worker(app, dns: ScriptedDns, *, allow_private: bool) -> DeliveryWorker:  # type: ignore[no-untyped-def]
    settings = WorkerSettings(
        retry_schedule=[60], timeout_seconds=1, allow_private_targets=allow_private
    )
    return DeliveryWorker(app.state.database, settings, resolver=dns)


async def test_a_rebinding_answer_is_never_connected_to(committed_app, receiver) -> None:
    # The check's lookup says public; a second lookup, if there were one, says loopback
    # (where the receiver listens). 203.0.113.x would be refused, so a public address
    # nobody answers on here: the attempt fails instead of reaching 127.0.0.1.
    dns = ScriptedDns(["8.8.8.8", "127.0.0.1"])
    await add_partner(committed_app, "app-rebind", f"http://rebind.invalid:{receiver.port}/hooks")
    [message_id] = await add_messages(committed_app, "app-rebind", 1)

    await worker(committed_app, dns, allow_private=False).run_once()

    assert dns.lookups == ["rebind.invalid"]
    assert receiver.attempts[message_id] == 0
    [attempt] = await attempts_of(committed_app, message_id)
    assert attempt.outcome in ("connection_error", "timeout")
    assert attempt.response_excerpt is None


async def test_a_private_answer_is_blocked_before_connecting(committed_app, receiver) -> None:
    dns = ScriptedDns(["127.0.0.1"])
    await add_partner(committed_app, "app-private-dns", f"http://evil.invalid:{receiver.port}/h")
    [message_id] = await add_messages(committed_app, "app-private-dns", 1)

    await worker(committed_app, dns, allow_private=False).run_once()

    assert receiver.attempts[message_id] == 0
    [attempt] = await attempts_of(committed_app, message_id)
    assert attempt.outcome == "blocked"
    assert "127.0.0.1" in (attempt.error or "")


async def test_the_checked_address_is_used_with_the_urls_host_name(committed_app, receiver) -> None:
    # *.invalid never resolves in real DNS: the connection can only have gone to the
    # address the seam answered, and the request still names the partner's host.
    dns = ScriptedDns(["127.0.0.1"])
    await add_partner(committed_app, "app-named", f"http://hooks.partner.invalid:{receiver.port}/h")
    [message_id] = await add_messages(committed_app, "app-named", 1)

    await worker(committed_app, dns, allow_private=True).run_once()

    assert receiver.delivered_ids == {message_id}
    [hook] = receiver.received
    assert hook.headers["host"] == f"hooks.partner.invalid:{receiver.port}"
    assert dns.lookups == ["hooks.partner.invalid"]

"""The delivery worker as real processes: killed mid-backlog, and two side by side."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import time

from accident_online.kit.time import utc_now
from accident_online.models.webhook import WebhookMessage
from accident_online.partners.schemas import PartnerCreate
from accident_online.partners.service import register_partner
from accident_online.webhooks.outbox import new_message_id
from accident_online_testing.processes import command, stop
from service_processes import service_environment

BACKLOG = 500
BATCH = 20


def start_worker(database_url: str, tmp_path, name: str) -> subprocess.Popen[bytes]:  # type: ignore[no-untyped-def]
    env = service_environment(
        database_url,
        tmp_path / name,
        jwt_secret="x" * 40,
        ACCIDENT_ONLINE_WEBHOOK_RETRY_SCHEDULE="[0.1, 0.2, 0.5, 1, 1, 1]",
        ACCIDENT_ONLINE_WEBHOOK_TIMEOUT_SECONDS="1",
        ACCIDENT_ONLINE_WEBHOOK_BATCH_SIZE=str(BATCH),
        ACCIDENT_ONLINE_RUN_HOUSEKEEPING="false",
    )
    return subprocess.Popen(
        command("worker"), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )


async def backlog(app, url: str, count: int) -> list[str]:  # type: ignore[no-untyped-def]
    async with app.state.database.session(write=True) as session:
        await register_partner(
            session,
            PartnerCreate(id="app-backlog", kind="app", name="App", webhook_url=url),
            allow_private_targets=True,
        )
    ids = [new_message_id() for _ in range(count)]
    async with app.state.database.session(write=True) as session:
        session.add_all(
            WebhookMessage(
                id=message_id,
                partner_id="app-backlog",
                event_type="case.decided",
                body=json.dumps(
                    {"type": "case.decided", "timestamp": utc_now().isoformat(), "data": {"n": n}}
                ),
            )
            for n, message_id in enumerate(ids)
        )
    return ids


async def test_a_worker_killed_mid_backlog_loses_nothing(
    committed_app, receiver, tmp_path, settings_for, capsys
) -> None:
    receiver.script = lambda _id, _n: (200, {}, 0.005)
    ids = await backlog(committed_app, receiver.url, BACKLOG)
    url = str(committed_app.state.database.engine.url.render_as_string(hide_password=False))

    first = start_worker(url, tmp_path, "first")
    try:
        started = time.monotonic()
        while len(receiver.delivered_ids) < BACKLOG // 4:
            assert time.monotonic() - started < 60, "the first worker delivered too little"
            assert first.poll() is None, first.stderr.read() if first.stderr else ""
            await asyncio.sleep(0.02)
        first.send_signal(signal.SIGKILL)
        first.wait()
        delivered_before_kill = len(receiver.delivered_ids)
    finally:
        stop(first)

    second = start_worker(url, tmp_path, "second")
    try:
        await receiver.wait_for(BACKLOG, timeout=120)
    finally:
        stop(second)

    deliveries = len(receiver.received)
    duplicates = deliveries - len(receiver.delivered_ids)
    lost = len(set(ids) - receiver.delivered_ids)
    with capsys.disabled():
        print(
            f"\nkill -9 mid-backlog: messages={BACKLOG} "
            f"delivered_before_kill={delivered_before_kill} "
            f"faults=1 (SIGKILL) lost={lost} duplicated={duplicates}"
        )
    assert lost == 0
    # At least once: only what the killed worker had in flight, one batch, may go twice.
    assert duplicates <= BATCH


async def test_two_workers_never_send_one_message_at_the_same_time(
    committed_app, receiver, tmp_path, capsys
) -> None:
    receiver.script = lambda _id, _n: (200, {}, 0.01)
    ids = await backlog(committed_app, receiver.url, BACKLOG)
    url = str(committed_app.state.database.engine.url.render_as_string(hide_password=False))

    workers = [start_worker(url, tmp_path, f"w{i}") for i in range(2)]
    try:
        await receiver.wait_for(BACKLOG, timeout=120)
        await asyncio.sleep(0.3)
    finally:
        for worker in workers:
            stop(worker)

    duplicates = len(receiver.received) - len(receiver.delivered_ids)
    with capsys.disabled():
        print(
            f"\ntwo workers: messages={BACKLOG} delivered={len(receiver.delivered_ids)} "
            f"duplicated={duplicates} max_in_flight_per_message={receiver.max_in_flight_per_id}"
        )
    assert receiver.delivered_ids == set(ids)
    assert receiver.max_in_flight_per_id == 1
    assert duplicates == 0

"""Operations: a worker killed in the middle of sending loses nothing and sends nothing twice;
`python -m gateway register` sets the webhooks; a channel without credentials is off (404)."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator

import pytest
import redis as redis_sync
from fastapi.testclient import TestClient
from redis.asyncio import Redis

from channels.registry import build_channels
from core.messages import OutboundMessage
from core.settings import Settings
from gateway.app import create_app
from messaging.delivery import Delivery
from messaging.outbox import Outbox
from messaging.web_outbox import WebOutbox
from ops.local_stack import LOGS, LocalStack
from ops.stack import GATEWAY_PYTHON, ROOT
from tests.conftest import REDIS_PORT
from tests.messengers.conftest import TG_SECRET, StandIns, channel_env, wait_for

CRASH_DB = 5


def worker_env(standins: StandIns, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(channel_env(standins, "https://helpdesk.example.org"))
    env.update(
        {
            "REDIS_URL": f"redis://127.0.0.1:{REDIS_PORT}/{CRASH_DB}",
            "RASA_URL": "http://127.0.0.1:9",  # no inbound message here: Rasa is never called
            "INBOUND_PARTITIONS": "2",
            "PYTHONUNBUFFERED": "1",
            **extra,
        }
    )
    return env


@pytest.fixture
def start_worker(fresh: StandIns) -> Iterator:
    started: list[subprocess.Popen[bytes]] = []

    def start() -> subprocess.Popen[bytes]:
        LOGS.mkdir(parents=True, exist_ok=True)
        log = (LOGS / f"crash-worker-{len(started)}.log").open("wb")
        proc = subprocess.Popen(
            [str(GATEWAY_PYTHON), "-m", "gateway", "worker"],
            env=worker_env(fresh, TELEGRAM_SEND_RATE="20"),
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        started.append(proc)
        return proc

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=30)


async def test_worker_killed_while_sending_loses_nothing_and_sends_nothing_twice(
    fresh: StandIns, start_worker
) -> None:
    redis = Redis(port=REDIS_PORT, db=CRASH_DB)
    await redis.flushdb()
    settings = Settings(redis_url=f"redis://127.0.0.1:{REDIS_PORT}/{CRASH_DB}")
    settings = settings.model_copy(
        update={k.lower(): v for k, v in channel_env(fresh, "https://x.example").items()}
    )
    channels = build_channels(settings, redis)
    delivery = Delivery(WebOutbox(redis, 3600), Outbox(redis, 3600), channels)
    users = ["800001", "800002"]
    expected = {user: [f"{user}: message {n}" for n in range(15)] for user in users}
    ids = []
    for n in range(15):
        for user in users:
            ids += await delivery.send("telegram", user, [OutboundMessage(expected[user][n])])
    fresh.telegram.delay = 0.3  # each send takes a while: the kill lands in the middle of one

    first = start_worker()
    wait_for(lambda: len(fresh.telegram.messages()) >= 10, timeout=30, message="the first worker sent nothing")
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    killed_after = len(fresh.telegram.messages())
    assert killed_after < 30

    start_worker()  # takes the channel over once the dead worker's lease expires
    records = redis_sync.Redis(port=REDIS_PORT, db=CRASH_DB, decode_responses=True)

    def finished() -> bool:
        return all(records.hget(f"hd:out:msg:{i}", "status") in ("sent", "unconfirmed") for i in ids)

    wait_for(finished, timeout=60, message="the second worker did not finish the outbox")
    received = fresh.telegram.messages()
    for user in users:
        assert [m["text"] for m in received if m["chat_id"] == user] == expected[user]  # all, once, in order
    statuses = [records.hget(f"hd:out:msg:{i}", "status") for i in ids]
    assert 1 <= statuses.count("unconfirmed") <= len(users)  # the ones in flight at the kill, not repeated
    assert records.xlen("hd:out:telegram:reply") == 0
    await redis.aclose()
    for channel in channels.values():
        await channel.aclose()


def test_register_sets_the_telegram_and_viber_webhooks_and_explains_twilio(
    messenger_stack: LocalStack, fresh: StandIns
) -> None:
    env = dict(messenger_stack.specs["gateway"].env)
    result = subprocess.run(
        [str(GATEWAY_PYTHON), "-m", "gateway", "register"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    base = messenger_stack.gateway
    assert fresh.telegram.webhook["url"] == f"{base}/webhooks/telegram"
    assert fresh.telegram.webhook["secret_token"] == TG_SECRET
    assert "callback_query" in fresh.telegram.webhook["allowed_updates"]
    assert fresh.viber.webhook["url"] == f"{base}/webhooks/viber"  # after Viber's signed check call succeeded
    assert f"POST {base}/webhooks/whatsapp\n" in result.stdout
    assert f"POST {base}/webhooks/whatsapp/status" in result.stdout


def test_channels_without_credentials_are_off_and_answer_404() -> None:
    settings = Settings(redis_url=f"redis://127.0.0.1:{REDIS_PORT}/{CRASH_DB}", embedded_worker=False)
    with TestClient(create_app(settings)) as client:
        for path in ("/webhooks/telegram", "/webhooks/whatsapp", "/webhooks/whatsapp/status", "/webhooks/viber"):
            response = client.post(path, content=b"{}")
            assert response.status_code == 404, path
            assert "is off" in response.json()["error"]

"""All gateway and worker settings in one typed place, read from the environment and `.env`.

Names and defaults follow the contract in docs/design-contract.md; each has a
safe default for the embedded run (`make run`): local Redis, local Rasa, no messenger credentials.
"""

from __future__ import annotations

from functools import cache
from ipaddress import ip_network

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Process settings. Environment variables are the upper-case field names."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    redis_url: str = "redis://127.0.0.1:6379/0"
    rasa_url: str = "http://127.0.0.1:5005"
    rasa_token: str = ""
    public_base_url: str = "http://127.0.0.1:8000"

    telegram_bot_token: str = ""
    telegram_webhook_secret: str = ""
    telegram_api_url: str = "https://api.telegram.org"
    twilio_account_sid: str = ""
    twilio_auth_token: str = ""
    twilio_whatsapp_from: str = ""
    twilio_sms_from: str = ""  # an SMS-capable Twilio number: the SMS channel is on when set
    twilio_api_url: str = "https://api.twilio.com"
    viber_auth_token: str = ""
    viber_api_url: str = "https://chatapi.viber.com/pa"

    retention_days: int = Field(default=90, ge=1)

    # Not in the shared contract: how this process runs.
    gateway_host: str = "127.0.0.1"
    gateway_port: int = 8000
    embedded_worker: bool = True
    inbound_partitions: int = Field(default=16, ge=1, le=1024)
    # Back-pressure (docs/architecture.md): past these many messages waiting, in one partition or in all, the web
    # chat is answered 503 + Retry-After (the page resends); the messengers are still accepted. 0: no limit.
    inbound_max_per_partition: int = Field(default=100, ge=0)
    inbound_max_total: int = Field(default=600, ge=0)
    rasa_timeout_seconds: float = Field(default=15.0, gt=0)
    web_reply_wait_seconds: float = Field(default=25.0, ge=0)
    max_text_chars: int = Field(default=4096, ge=1)
    dedupe_ttl_seconds: int = Field(default=7 * 24 * 3600, ge=60)
    log_level: str = "INFO"
    rasa_redis_db: int = Field(default=1, ge=0)  # Rasa's tracker database (ops/stack.py sets it)
    hsts_seconds: int = Field(default=0, ge=0)  # Strict-Transport-Security max-age; 0: not sent (set behind https)

    # Handoff and the counsellors' inbox (handoff/).
    handoff_default_centre: str = "iasi"  # the centre for people from elsewhere (an id in centres.yml)
    handoff_centres_file: str = ""  # another centres data file; empty: knowledge/data/centres.yml
    handoff_overflow_minutes: float = Field(default=15.0, gt=0)  # unclaimed this long: supervisors' queue
    # Who is alerted for an urgent case out of a centre's hours when its `on_call` entry (centres.yml) is empty:
    # an inbox username or "supervisors"; empty: nobody is on call.
    handoff_on_call: str = ""
    # After a case closed, this long a greeting like "e cineva acolo?" or a message the assistant does not
    # understand confidently is answered with the counsellor offered again; 0: never.
    handoff_reoffer_hours: float = Field(default=24.0, ge=0)
    inbox_claim_minutes: float = Field(default=15.0, gt=0)  # a claim lock lasts this long unless renewed
    inbox_session_hours: float = Field(default=12.0, gt=0)
    # A queue card's colour by how long the person has waited for an answer: green under the first, amber
    # under the second, red beyond (docs/inbox.md).
    inbox_sla_amber_minutes: float = Field(default=15.0, gt=0)
    inbox_sla_red_minutes: float = Field(default=60.0, gt=0)
    inbox_login_attempts: int = Field(default=5, ge=1)  # failed logins per account before the delays start
    inbox_login_max_delay_seconds: float = Field(default=60.0, gt=0)  # the longest delay between two tries
    inbox_idle_minutes: float = Field(default=30.0, gt=0)  # a session unused this long ends (sliding)
    inbox_hash_threads: int = Field(default=2, ge=1, le=32)  # password hashes checked at once (64 MiB each)
    inbox_audit_days: int = Field(default=365, ge=1)
    # Proxies whose X-Forwarded-For is believed (addresses or CIDRs, comma-separated); empty: none, the TCP
    # peer is the client. The client is the right-most address of the header not in this list.
    trusted_proxies: str = ""
    # Approved WhatsApp templates (Twilio ContentSid) a counsellor sends outside the 24-hour window; {{1}} is
    # the centre's name. Empty: the inbox says that no template is configured.
    whatsapp_counsellor_template_ro: str = ""
    whatsapp_counsellor_template_it: str = ""
    whatsapp_counsellor_template_es: str = ""

    # Messenger channels (added by the channels issue; see docs/channels.md).
    telegram_send_rate: float = Field(default=25.0, gt=0)  # messages per second, all processes together
    whatsapp_send_rate: float = Field(default=20.0, gt=0)
    viber_send_rate: float = Field(default=20.0, gt=0)
    sms_send_rate: float = Field(default=10.0, gt=0)
    viber_bot_name: str = Field(default="Helpdesk", min_length=1, max_length=28)  # sender.name, required
    outbox_max_attempts: int = Field(default=6, ge=1)  # tries of one message before it is marked failed
    outbox_retry_max_seconds: float = Field(default=30.0, gt=0)  # the longest backoff between two tries
    coalesce_seconds: float = Field(default=2.0, ge=0)  # fragments this close together are one turn
    max_webhook_bytes: int = Field(default=256 * 1024, ge=1024)

    # Broadcasts (docs/broadcasts.md): the deployment's own short line in every alert, so that people can tell
    # a genuine alert from an imitation (a name and a code word they learn from the centres, a web address).
    broadcast_recognition: str = Field(default="Migrant Helpdesk", min_length=1, max_length=80)
    broadcast_offer_on_start: bool = True  # offer the alerts after Telegram /start and Viber `subscribed`

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies(cls, value: str) -> str:
        """Every entry must be an IP address or network: a typo must not silently trust nobody (or everybody)."""
        entries = [e.strip() for e in value.split(",") if e.strip()]
        for entry in entries:
            ip_network(entry, strict=False)  # ValueError: pydantic reports the setting
        return ",".join(entries)

    @property
    def retention_seconds(self) -> int:
        """RETENTION_DAYS in seconds: the TTL of every key that holds personal data."""
        return self.retention_days * 24 * 3600

    @property
    def secure_cookies(self) -> bool:
        """Inbox cookies are Secure when the public base URL is https."""
        return self.public_base_url.startswith("https://")


@cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()

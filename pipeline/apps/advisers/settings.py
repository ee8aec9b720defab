"""Settings of the advisers' features (login, service norms, digest mail), read like all other settings.

`AdvisersSettings` extends `Settings` with the fields below (same STADSSIGNAAL_* variables and TOML file);
`advisers_settings(settings)` gives them for any Settings object, with defaults for fields it lacks.
"""
from __future__ import annotations

from pathlib import Path

from pydantic import Field

from pipeline.core.settings import Settings


class AdvisersSettings(Settings):
    """Settings plus login, service norms and digest mail (fields the lead may merge into Settings)."""

    municipality_account: str = Field("", description="the municipality's own social handle, e.g. @gemeentezeist "
                                                      "(default: @gemeente + municipality)")
    call_back_hours: float = Field(24.0, description="service norm: call back within this many hours")
    mail_reply_hours: float = Field(48.0, description="service norm: answer mail and web forms within this many hours")
    social_reply_hours: float = Field(24.0, description="service norm: answer social media within this many hours")
    dashboard_accounts: dict[str, str] = Field(default_factory=dict,
                                               description="login name -> hash from `stadssignaal hash-password`")
    dashboard_proxy_user_header: str | None = Field(None, description="trust this header (e.g. X-Forwarded-User) "
                                                                      "set by a reverse proxy as the login name")
    dashboard_session_hours: float = Field(8.0, description="a login session expires after this many hours")
    dashboard_session_secret: str | None = Field(None, description="key of the CSRF tokens (default: random per "
                                                                   "start); sessions live in the dashboard process, "
                                                                   "so a restart logs everyone out")
    dashboard_tls_proxy: bool = Field(False, description="a TLS-terminating reverse proxy serves the dashboard: "
                                                         "cookies get Secure and the own origin is https")
    dashboard_public_origin: str | None = Field(None, description="the dashboard's public origin, e.g. "
                                                                  "https://signaal.zeist.nl; writes from any other "
                                                                  "origin and requests for other host names are refused")
    digest_smtp_host: str | None = Field(None, description="SMTP server for the daily digest")
    digest_smtp_port: int = Field(25, description="SMTP port")
    digest_smtp_starttls: bool = Field(False, description="use STARTTLS")
    digest_smtp_user: str | None = Field(None, description="SMTP login (optional)")
    digest_smtp_password: str | None = Field(None, description="SMTP password (optional)")
    digest_mail_from: str | None = Field(None, description="sender address of the digest")
    digest_mail_to: list[str] = Field(default_factory=list, description="recipients of the digest")


def advisers_settings(settings: Settings | None) -> AdvisersSettings:
    """`settings` as AdvisersSettings: the object itself when it already is one, else its values plus the
    advisers' fields read from the same environment variables and TOML file."""
    if isinstance(settings, AdvisersSettings):
        return settings
    base = settings or Settings()
    return AdvisersSettings(**base.model_dump())


def municipality_account(settings: Settings | None) -> str:
    """The municipality's social handle in lower case with '@', e.g. '@gemeentezeist'."""
    adv = advisers_settings(settings)
    handle = adv.municipality_account.strip() or "@gemeente" + "".join(adv.municipality.lower().split())
    return handle.lower() if handle.startswith("@") else "@" + handle.lower()


def digest_path_default() -> Path:
    """Where `digest` writes when no --output is given."""
    return Path("var/digest.html")

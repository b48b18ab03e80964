"""Settings of the web application, read once by :func:`fairshare.api.create_app`."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from fairshare.errors import InputError
from fairshare.i18n import Num, msg

if TYPE_CHECKING:
    from fairshare.service import Settings as RegistrySettings
    from fairshare.service.logins import Limits

API_ACTOR = "api"
# Accepted Host names when neither FAIRSHARE_PUBLIC_URL nor an allowed host is set: loopback
# only (and "testserver", the name of the in-process test client).
DEV_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "testserver"})
MULTIPART_SLACK = 64 * 1024  # multipart framing and form fields around an uploaded file


@dataclass(frozen=True)
class Settings:
    """Everything the app needs to know about its environment.

    Attributes:
        database_url: SQLAlchemy URL of the registry (``FAIRSHARE_DATABASE_URL``; default the
            registry's, ``sqlite:///<FAIRSHARE_HOME>/fairshare.sqlite``).
        home: the registry's data folder (``FAIRSHARE_HOME``, default ``./var``).
        keys_dir: pseudonymisation keys, outside the database (``FAIRSHARE_KEYS_DIR``).
        secure_cookies: send cookies with the ``Secure`` flag (HTTPS) and HSTS. ``serve`` turns
            it off only when it listens on a loopback address.
        session_minutes: idle lifetime of a browser session.
        small_cell_threshold: counts below this are shown as ``<N`` to analysts.
        demo: the app was started with ``--demo`` (a banner says so on every page).
        max_upload_bytes: largest file accepted by an upload (a multipart body may be this plus
            :data:`MULTIPART_SLACK`).
        max_body_bytes: largest body of any other request (JSON, forms), ``FAIRSHARE_MAX_BODY_BYTES``.
        login_attempts: login attempts per username allowed within ``login_window_seconds``.
        login_attempts_per_address: login attempts per client address in the same window.
        public_url: the address users reach the app at (``FAIRSHARE_PUBLIC_URL``, e.g.
            ``https://fairshare.example.org``): its host joins the Host allow-list, and an
            ``https://`` address means a TLS proxy is in front (Secure cookies, HSTS).
        allowed_hosts: more Host header values accepted (``FAIRSHARE_ALLOWED_HOSTS``, comma
            separated; ``serve --allowed-host``). With neither this nor ``public_url``, only the
            loopback names are (:data:`DEV_HOSTS`).
        proxy_headers: behind a TLS-terminating proxy whose X-Forwarded-* headers are trusted
            (``serve --proxy-headers``): Secure cookies and HSTS.
        recommendations: the switch for recommendations (``FAIRSHARE_RECOMMENDATIONS=off``
            turns them off; manual assignment keeps working).
    """

    database_url: str
    home: Path
    keys_dir: Path
    secure_cookies: bool = True
    session_minutes: int = 60
    small_cell_threshold: int = 10
    demo: bool = False
    max_upload_bytes: int = 50 * 1024 * 1024
    max_body_bytes: int = 1024 * 1024
    login_attempts: int = 5
    login_attempts_per_address: int = 50
    login_window_seconds: int = 300
    recommendations: bool = True
    public_url: str | None = None
    allowed_hosts: tuple[str, ...] = ()
    proxy_headers: bool = False

    def __post_init__(self) -> None:
        if self.public_url is not None:
            parts = urlsplit(self.public_url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise InputError(msg("setting_public_url", url=self.public_url))

    @property
    def behind_tls(self) -> bool:
        """Whether users reach the app over HTTPS through a proxy (public URL or proxy headers)."""
        return self.proxy_headers or (self.public_url or "").startswith("https://")

    def hosts(self) -> frozenset[str]:
        """The Host header values accepted (lowercase, without port)."""
        hosts = {h.strip().lower() for h in self.allowed_hosts if h.strip()}
        if self.public_url:
            hosts.add(str(urlsplit(self.public_url).hostname).lower())
        return frozenset(hosts) if hosts else DEV_HOSTS

    def login_limits(self) -> Limits:
        """The login throttle's limits."""
        from fairshare.service.logins import Limits

        return Limits(per_user=self.login_attempts, per_address=self.login_attempts_per_address,
                      window_seconds=self.login_window_seconds)

    @classmethod
    def from_env(cls, **overrides: Any) -> Settings:
        """Settings from the registry's ``FAIRSHARE_*`` environment variables, then ``overrides``."""
        import os

        from fairshare.service import Settings as RegistrySettings

        reg = RegistrySettings.from_env()
        base = cls(database_url=reg.database_url, home=reg.home, keys_dir=reg.keys_dir,
                   recommendations=reg.recommendations)
        if "FAIRSHARE_SMALL_CELL" in os.environ:
            base = replace(base, small_cell_threshold=int(os.environ["FAIRSHARE_SMALL_CELL"]))
        if os.environ.get("FAIRSHARE_PUBLIC_URL"):
            base = replace(base, public_url=os.environ["FAIRSHARE_PUBLIC_URL"].strip())
        if os.environ.get("FAIRSHARE_ALLOWED_HOSTS"):
            base = replace(base, allowed_hosts=tuple(
                h.strip() for h in os.environ["FAIRSHARE_ALLOWED_HOSTS"].split(",") if h.strip()))
        if os.environ.get("FAIRSHARE_MAX_BODY_BYTES"):
            raw = os.environ["FAIRSHARE_MAX_BODY_BYTES"]
            if not raw.isdigit() or int(raw) < 1024:
                raise InputError(msg("setting_max_body_bytes", raw=raw, minimum=Num(1024)))
            base = replace(base, max_body_bytes=int(raw))
        return replace(base, **overrides)

    @classmethod
    def for_home(cls, home: Path, **overrides: Any) -> Settings:
        """Settings rooted at ``home`` (tests, the demo): database and keys inside it."""
        base = cls(database_url=f"sqlite:///{home / 'fairshare.sqlite'}", home=home,
                   keys_dir=home / "keys")
        return replace(base, **overrides)

    def registry(self) -> RegistrySettings:
        """The registry's settings for the service layer (actor: each request names its own)."""
        from fairshare.service import Settings as RegistrySettings

        return RegistrySettings(home=self.home, database_url=self.database_url,
                                keys_dir=self.keys_dir, actor=API_ACTOR,
                                recommendations=self.recommendations)

"""Who may reach the server and as whom: Host and Origin checks, the shared token, the client's address
behind a trusted proxy, the user a request names, and the safety block that silences a user for a while.

Refusals on the websocket are ProtocolErrors (answered with an `error`); the HTTP routes turn them into
status codes.
"""
from __future__ import annotations

import hmac
import ipaddress
from datetime import datetime
from urllib.parse import urlsplit

from aiohttp import web

from dialogue.interfaces import SafetyGate

from .config import ServerConfig
from .identity import CredentialError, IdentityStore, valid_user_id
from .protocol import ProtocolError
from .state import STATE

LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "[::1]"}


# --- the page's origin and the Host it asked for ------------------------------------------------------
def origin_allowed(request: web.Request, allowed: list[str]) -> bool:
    """Browsers send Origin; a page from another site may not drive the server (clients without it may)."""
    origin = request.headers.get("Origin")
    if not origin or "*" in allowed or origin in allowed:
        return True
    parts = urlsplit(origin)
    return parts.hostname in LOCAL_HOSTS or parts.netloc == request.host


def hostname(host: str) -> str:
    """'example.com:8080' -> 'example.com', '[::1]:8080' -> '::1' (lower case)."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def host_allowed(host: str, cfg_host: str, allowed: list[str]) -> bool:
    """DNS rebinding makes a foreign host name point at this server; its requests then carry that name in
    Host. Localhost, IP literals (no DNS involved), the configured host and `server.allowed_hosts` pass;
    an entry ".example.com" allows its subdomains, "*" any host."""
    if "*" in allowed:
        return True
    name = hostname(host)
    if not name or name in LOCAL_HOSTS or name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        ipaddress.ip_address(name)
        return True
    except ValueError:
        pass
    if cfg_host and name == hostname(cfg_host):
        return True
    for entry in allowed:
        entry = entry.strip().lower()
        if name == entry or (entry.startswith(".") and (name.endswith(entry) or name == entry[1:])):
            return True
    return False


@web.middleware
async def host_check(request: web.Request, handler):
    """Every route (pages, websocket upgrade, MJPEG, metrics) refuses a Host the server does not answer to."""
    cfg = request.app[STATE].cfg.server
    if not host_allowed(request.headers.get("Host", ""), cfg.host, cfg.allowed_hosts):
        request.app[STATE].metrics.error("forbidden_host")
        raise web.HTTPForbidden(text=f"host {hostname(request.headers.get('Host', ''))!r} is not one this server "
                                     "answers to; add it to server.allowed_hosts")
    return await handler(request)


# --- the client behind a proxy ----------------------------------------------------------------------------
def client_address(request: web.Request, trusted: list[str]) -> str:
    """The client's IP: the peer's, or the one a trusted proxy put last in X-Forwarded-For."""
    peer = request.remote or ""
    forwarded = request.headers.get("X-Forwarded-For")
    if forwarded and peer in trusted:
        last = forwarded.split(",")[-1].strip()
        if last:
            return last
    return peer


def via_trusted_proxy(request: web.Request, trusted: list[str]) -> bool:
    """Whether a request came through a load balancer we trust (it names the client in X-Forwarded-For)."""
    return (request.remote or "") in trusted and bool(request.headers.get("X-Forwarded-For"))


# --- who the client is ------------------------------------------------------------------------------------
def token_ok(cfg: ServerConfig, offered: str | None) -> bool:
    """Whether the server's shared token (`server.token`, when set) was offered."""
    expected = cfg.token
    return not expected or (offered is not None and hmac.compare_digest(offered.encode(), expected.encode()))


def header_user(request: web.Request, cfg: ServerConfig) -> str | None:
    """The user named by the trusted proxy's header (server.user_header), or None when not in that mode.

    Raises ProtocolError when the mode is on but the request did not come through the proxy with one."""
    if not cfg.user_header:
        return None
    if (request.remote or "") not in cfg.trusted_proxies:
        raise ProtocolError("unauthorized", "this server identifies users through its proxy; connect through it",
                            fatal=True)
    user = request.headers.get(cfg.user_header, "").strip()
    if not valid_user_id(user):
        raise ProtocolError("unauthorized", f"the proxy did not name a user in {cfg.user_header} "
                                            "(letters, digits and _.:@- only, at most 128)", fatal=True)
    return user


def credential_user(identity: IdentityStore, credential: str) -> str:
    """The user a credential names; ProtocolError (`unauthorized`) when it is forged or expired."""
    try:
        return identity.verify(credential)
    except CredentialError as e:
        raise ProtocolError("unauthorized", str(e), fatal=True) from None


def watched_user(identity: IdentityStore, request: web.Request, cfg: ServerConfig, viewer_key: str | None,
                 credential: str | None) -> tuple[str, bool]:
    """Whose session a viewer (websocket or MJPEG) may watch, and whether it came by a shared viewer key:
    the owner's viewer key, the owner's credential, or the trusted proxy's user header. ProtocolError
    (`unauthorized`) otherwise."""
    if viewer_key is not None:
        try:
            return identity.verify_viewer_key(viewer_key), True
        except CredentialError as e:
            raise ProtocolError("unauthorized", str(e), fatal=True) from None
    if credential is not None:
        return credential_user(identity, credential), False
    user = header_user(request, cfg)
    if user is None:
        raise ProtocolError("unauthorized", "a viewer needs the owner's viewer key (the live page shows the link) "
                                            "or credential", fatal=True)
    return user, False


# --- the safety block -------------------------------------------------------------------------------------
def refuse_if_blocked(safety: SafetyGate | None, user: str, *, fatal: bool) -> None:
    """Raise the `blocked` error (with when the block ends) for a user the safety policy blocks right now.

    A hello of a blocked user is refused (fatal); a chat.send during a block is answered and the socket stays."""
    if safety is None:
        return
    verdict = safety.status(user, datetime.now().astimezone())
    if verdict.action != "blocked":
        return
    extra = {"blocked_until": verdict.blocked_until.isoformat()} if verdict.blocked_until else {}
    raise ProtocolError("blocked", verdict.message or "you are blocked for a while", fatal=fatal, **extra)

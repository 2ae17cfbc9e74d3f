"""Who a user is: credentials the server issues, and read-only viewer keys the owner can share and revoke.

A user is never a name a client types. A chat client without a credential becomes a new user and gets a
credential (`c1.<user>.<expires>.<mac>`, HMAC-SHA256 under the server's secret) in the hello reply; it
keeps it and presents it to resume its session, its transcript and her memories of it. Viewers (a second
screen, OBS, MJPEG) present the owner's viewer key (`v1.<user>.<generation>.<mac>`); revoking bumps the
generation, so every link shared before stops working. Behind a proxy that authenticates users, the
deployment can name the user in a trusted header instead (`server.user_header`).

The secret and the viewer-key generations live in one small JSON file (`server.identity_file`, by default
`$OHLORA_DATA_DIR/identity.json`) or the secret comes from `server.identity_secret`, so that credentials
survive restarts and instances that share the secret accept each other's credentials.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from dialogue.database import data_dir

CREDENTIAL_PREFIX = "c1"
VIEWER_PREFIX = "v1"
# What a user id may look like (the dialogue store keys memories and blocks by it).
USER_ID_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:@-")
MAX_USER_ID = 128


class CredentialError(ValueError):
    """A credential or viewer key that is malformed, forged, expired or revoked; the message says which."""


def default_identity_file() -> Path:
    return data_dir() / "identity.json"


def valid_user_id(user: str) -> bool:
    return 0 < len(user) <= MAX_USER_ID and set(user) <= USER_ID_CHARS


def write_private_json(path: Path, data: dict) -> None:
    """Write `data` to `path` atomically, readable by its owner only (it holds secrets or credentials)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=".json")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def affinity_key(token: str | None) -> str | None:
    """The load balancer's affinity key of a credential or viewer key: its user field (base64 of the user id),
    the same for a user's credential and their viewer keys, so a balancer that hashes it (docs/deploy.md) sends
    a user's sockets and their viewers to one instance. None for anything else. Not a secret and not checked:
    it only chooses a server, the server still verifies the credential."""
    parts = token.split(".") if isinstance(token, str) else []
    if len(parts) == 4 and parts[0] in (CREDENTIAL_PREFIX, VIEWER_PREFIX) and parts[1]:
        return parts[1]
    return None


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class Credential:
    token: str
    user: str
    expires_at: float  # unix seconds


class IdentityStore:
    """Issues and checks credentials and viewer keys under one secret (thread-safe, persisted)."""

    def __init__(self, path: Path | None = None, secret: str = "", credential_ttl_s: float = 30 * 86400):
        self.path = Path(path) if path else default_identity_file()
        self.ttl_s = credential_ttl_s
        self._lock = threading.Lock()
        state = self._load()
        self._generations: dict[str, int] = {str(k): int(v) for k, v in state.get("viewer_generations", {}).items()}
        if secret:
            self._secret = secret.encode("utf-8")
        else:
            if not state.get("secret"):
                state["secret"] = secrets.token_urlsafe(32)
                write_private_json(self.path, state)
            self._secret = str(state["secret"]).encode("utf-8")

    # --- persistence ---------------------------------------------------------------------------------
    def _load(self) -> dict:
        if not self.path.exists():
            return {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as e:
            raise RuntimeError(f"cannot read the identity file {self.path}: {e}; fix or delete it "
                               "(deleting it signs every user out and invalidates shared viewer links)") from None
        if not isinstance(data, dict):
            raise RuntimeError(f"the identity file {self.path} is not a JSON object; fix or delete it")
        return data

    def _persist_generations(self) -> None:
        state = self._load()
        state["viewer_generations"] = dict(self._generations)
        write_private_json(self.path, state)

    def _mac(self, text: str) -> str:
        return _b64(hmac.new(self._secret, text.encode("utf-8"), hashlib.sha256).digest())

    # --- users and credentials -----------------------------------------------------------------------
    @staticmethod
    def new_user_id() -> str:
        return f"u-{secrets.token_hex(8)}"

    def issue(self, user: str, now: float | None = None) -> Credential:
        """A fresh credential for `user`, valid for the configured time from now."""
        if not valid_user_id(user):
            raise ValueError(f"not a valid user id: {user!r}")
        expires = int((time.time() if now is None else now) + self.ttl_s)
        body = f"{CREDENTIAL_PREFIX}.{_b64(user.encode('utf-8'))}.{expires}"
        return Credential(f"{body}.{self._mac(body)}", user, float(expires))

    def verify(self, token: str, now: float | None = None) -> str:
        """The user a credential names; CredentialError when it is malformed, forged or expired."""
        user, expires = self._check(token, CREDENTIAL_PREFIX)
        if expires < (time.time() if now is None else now):
            raise CredentialError("the credential has expired; connect without one to start as a new user")
        return user

    # --- viewer keys ---------------------------------------------------------------------------------
    def viewer_key(self, user: str) -> str:
        """The read-only key that lets others watch `user`'s session (the same until revoked)."""
        with self._lock:
            gen = self._generations.get(user, 0)
        body = f"{VIEWER_PREFIX}.{_b64(user.encode('utf-8'))}.{gen}"
        return f"{body}.{self._mac(body)}"

    def verify_viewer_key(self, key: str) -> str:
        user, gen = self._check(key, VIEWER_PREFIX)
        with self._lock:
            current = self._generations.get(user, 0)
        if gen != current:
            raise CredentialError("this viewer link was revoked by its owner; ask for the new one")
        return user

    def revoke_viewer_keys(self, user: str) -> str:
        """Invalidate every viewer key of `user` shared so far; returns the new one."""
        with self._lock:
            self._generations[user] = self._generations.get(user, 0) + 1
            self._persist_generations()
        return self.viewer_key(user)

    def _check(self, token: str, prefix: str) -> tuple[str, int]:
        what = "credential" if prefix == CREDENTIAL_PREFIX else "viewer key"
        parts = token.split(".") if isinstance(token, str) else []
        if len(parts) != 4 or parts[0] != prefix:
            raise CredentialError(f"not a valid {what}")
        body = ".".join(parts[:3])
        if not hmac.compare_digest(self._mac(body), parts[3]):
            raise CredentialError(f"the {what} was not issued by this server (or its secret changed)")
        try:
            user = _unb64(parts[1]).decode("utf-8")
            number = int(parts[2])
        except (ValueError, UnicodeDecodeError):
            raise CredentialError(f"not a valid {what}") from None
        if not valid_user_id(user):
            raise CredentialError(f"not a valid {what}")
        return user, number

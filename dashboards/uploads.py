"""Checked pledge uploads, kept on the server between the check and the confirmation.

Why: the Pledges page checks an uploaded file and shows every rejected row before anything is
stored. The browser then only holds a *token*; Confirm sends the token back, and the server
stores the rows it already parsed and checked — the file is neither uploaded nor parsed twice.

- The token is an HMAC-SHA256, under a per-server secret, of the uploader's identity and the
  SHA-256 of the bytes: unguessable, and bound to the user, so one user cannot store another
  user's upload (nor forge a token for bytes they know) — the entry records its owner and is
  refused to anyone else.
- Entries live in a bounded disk cache (diskcache, like the result cache: shared by the
  server's processes, evicts the oldest past :data:`CACHE_BYTES`) and expire after
  :data:`KEEP_SECONDS`; an unknown or expired token is a clear :class:`UploadExpired`.
- The secret is the server's one secret (:mod:`dashboards.secret`), so every worker of one
  server agrees on it.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import os
import re
import time
from dataclasses import dataclass
from typing import Any

import diskcache

from dashboards.secret import server_secret
from dashboards.state import AppConfig

KEEP_SECONDS = 30 * 60
CACHE_BYTES = 256 * 1024 * 1024
_TOKEN = re.compile(r"[0-9a-f]{64}")


class UploadExpired(LookupError):
    """The token names no upload this user may store (unknown, expired or someone else's)."""


@dataclass(frozen=True)
class KeptUpload:
    """A checked upload: its bytes, who uploaded it, and what the check found."""

    owner: str
    filename: str
    sha256: str
    data: bytes
    check: Any  # dashboards.logic.pledges.UploadCheck (kept opaque: no import cycle)
    reference: str  # digest of the plan tables the check was made against
    kept_at: float


def owner() -> str:
    """Who is uploading: the signed-in user (the local user without sign-in); tokens bind to
    them."""
    from dashboards.roles import current_user

    return current_user().username


def keep(
    config: AppConfig, *, who: str, filename: str, data: bytes, check: Any, reference: str
) -> str:
    """Keep a checked upload on the server; returns its token for the browser."""
    digest = hashlib.sha256(data).hexdigest()
    token = _token(config, who, digest)
    entry = KeptUpload(who, filename, digest, data, check, reference, time.time())
    _cache(config).set(token, entry, expire=KEEP_SECONDS)
    return token


def take(config: AppConfig, token: Any, *, who: str) -> KeptUpload:
    """The upload kept under ``token`` for user ``who``; :class:`UploadExpired` otherwise."""
    entry = None
    if isinstance(token, str) and _TOKEN.fullmatch(token):
        entry = _cache(config).get(token)
    if (
        not isinstance(entry, KeptUpload)
        or entry.owner != who
        or not hmac.compare_digest(token, _token(config, who, entry.sha256))
    ):
        minutes = KEEP_SECONDS // 60
        raise UploadExpired(
            "this upload is no longer on the server (a checked file is kept for "
            f"{minutes} minutes, until it is stored): drop the file again to check it"
        )
    return entry


def discard(config: AppConfig, token: str) -> None:
    """Forget a kept upload (after it was stored)."""
    _cache(config).delete(token)


def _token(config: AppConfig, who: str, sha256: str) -> str:
    message = who.encode("utf-8") + b"\0" + sha256.encode("ascii")
    return hmac.new(server_secret(config.cache_dir), message, hashlib.sha256).hexdigest()


def _cache(config: AppConfig) -> diskcache.Cache:
    return _open(os.path.join(config.cache_dir, "uploads"), os.getpid())


@functools.lru_cache(maxsize=8)
def _open(directory: str, pid: int) -> diskcache.Cache:
    # One handle per process (a forked worker opens its own); diskcache is process-safe.
    del pid
    return diskcache.Cache(directory, size_limit=CACHE_BYTES)

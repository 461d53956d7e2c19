"""The server's one secret: signs the session cookie (dashboards/auth.py) and keys the upload
tokens (dashboards/uploads.py).

From ``APPEAL_SECRET_KEY`` when set (give every server of one deployment the same value), else
from a random 32-byte key file created once in the cache folder with mode 0600 (readable by
the server's user only), so every worker process of one server agrees on it.
"""

from __future__ import annotations

import functools
import os
import secrets
import time

__all__ = ["SECRET_ENV", "server_secret"]

SECRET_ENV = "APPEAL_SECRET_KEY"
KEY_FILE = "server-secret.key"


def server_secret(cache_dir: str) -> bytes:
    """The secret for the server whose cache folder is ``cache_dir``."""
    configured = os.environ.get(SECRET_ENV)
    if configured:
        return configured.encode("utf-8")
    return _key_file(cache_dir)


@functools.lru_cache(maxsize=8)
def _key_file(cache_dir: str) -> bytes:
    path = os.path.join(cache_dir, KEY_FILE)
    os.makedirs(cache_dir, exist_ok=True)
    try:
        # O_EXCL: of several workers starting at once, exactly one writes the key.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "wb") as f:
            f.write(secrets.token_bytes(32))
    deadline = time.monotonic() + 5
    while True:  # another worker may be writing it this instant
        with open(path, "rb") as f:
            key = f.read()
        if len(key) == 32:
            return key
        if time.monotonic() > deadline:
            raise RuntimeError(f"{path} is not a 32-byte key; delete it and restart the server")
        time.sleep(0.01)

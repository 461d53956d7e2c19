"""Who is making each request: sign-in, sign-out and the signed-in user of every request.

:func:`install` puts one ``before_request`` on the app that sets ``flask.g.user`` (an
:class:`appeal.accounts.User`) and the audit trail's actor for the request, or answers the
request itself:

- ``--auth none`` (loopback only, see :mod:`appeal.serving`): every request is the one local
  user, who acts as admin (:data:`appeal.accounts.LOCAL_ADMIN`).
- ``--auth password``: accounts in the register. ``/signin`` is a plain HTML form (no script)
  protected against cross-site request forgery by a token bound to the session; the signed
  session cookie (Flask's, keyed by :func:`dashboards.secret.server_secret`) is HttpOnly,
  SameSite=Lax, and Secure when ``AppConfig.secure_cookies`` (behind TLS). The user is read
  from the register on every request, so disabling a user or changing a role takes effect at
  once. Failed sign-ins are rate-limited and audited by :func:`appeal.accounts.authenticate`.
- ``--auth proxy``: a reverse proxy signs users in and names them in ``AppConfig.auth_header``;
  the header is believed only from ``AppConfig.trusted_proxies`` (default loopback), and the
  named user must exist (and be enabled) in the register, which gives their role.

A request without a user gets the sign-in page (pages) or HTTP 401 (the app's JSON routes);
the static scripts and styles are public.
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
from html import escape
from typing import Any
from urllib.parse import quote, urlsplit

import flask
from dash import Dash

from appeal import accounts, actor
from appeal.accounts import LOCAL_ADMIN, SigninRefused, User
from dashboards.secret import server_secret
from dashboards.state import AppConfig, open_register

__all__ = ["CSRF_FIELD", "SIGNIN", "SIGNOUT", "csrf_token", "install"]

SIGNIN = "/signin"
SIGNOUT = "/signout"
CSRF_FIELD = "csrf_token"
SESSION_HOURS = 12
# Paths served to anyone: the sign-in page and the app's static files (no data in them).
PUBLIC_PREFIXES = ("/assets/", "/_dash-component-suites/", "/_favicon.ico")


def csrf_token() -> str:
    """This session's anti-forgery token (made on first use)."""
    token = flask.session.get(CSRF_FIELD)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        flask.session[CSRF_FIELD] = token
    return token


def _csrf_ok() -> bool:
    sent = flask.request.form.get(CSRF_FIELD, "")
    kept = flask.session.get(CSRF_FIELD)
    return isinstance(kept, str) and hmac.compare_digest(sent.encode(), kept.encode())


def _safe_next(target: str | None) -> str:
    """Only a path of this app (never another site: no scheme, no host, no //)."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


def _address() -> str:
    return str(flask.request.remote_addr or "unknown")


def _page(message: str = "", username: str = "", status: int = 200) -> flask.Response:
    """The sign-in form (styled by the app's own Bootstrap; no script at all)."""
    alert = (
        f'<div class="alert alert-danger" role="alert">{escape(message)}</div>' if message else ""
    )
    next_path = escape(_safe_next(flask.request.args.get("next")))
    html = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in · Appeal planner</title>
<link rel="stylesheet" href="/assets/00_bootstrap.min.css">
</head><body class="bg-light">
<main class="container" style="max-width: 26rem; margin-top: 10vh">
<h1 class="h3 mb-3">Appeal planner</h1>
<p class="text-muted">Sign in with the account an admin gave you.</p>
{alert}
<form method="post" action="{SIGNIN}?next={quote(next_path)}" id="signin-form">
<input type="hidden" name="{CSRF_FIELD}" value="{escape(csrf_token())}">
<div class="mb-3"><label class="form-label" for="username">User name</label>
<input class="form-control" id="username" name="username" autocomplete="username" required
 value="{escape(username)}"></div>
<div class="mb-3"><label class="form-label" for="password">Password</label>
<input class="form-control" id="password" name="password" type="password"
 autocomplete="current-password" required></div>
<button class="btn btn-primary w-100" type="submit" id="signin-submit">Sign in</button>
</form></main></body></html>"""
    response = flask.make_response(html, status)
    response.headers["Content-Type"] = "text/html; charset=utf-8"
    return response


def _unauthenticated() -> Any:
    path = flask.request.path
    if path.startswith("/_dash-") or flask.request.method != "GET":
        response = flask.jsonify({"error": "sign in first", "signin": SIGNIN})
        response.status_code = 401
        return response
    return flask.redirect(f"{SIGNIN}?next={quote(flask.request.full_path.rstrip('?'))}")


def install(app: Dash, config: AppConfig) -> None:
    """Identify the user of every request of ``app`` as ``config.auth_mode`` says."""
    server: flask.Flask = app.server
    server.secret_key = server_secret(config.cache_dir)
    server.config.update(
        SESSION_COOKIE_NAME="appeal_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=bool(config.secure_cookies),
        PERMANENT_SESSION_LIFETIME=dt.timedelta(hours=SESSION_HOURS),
    )
    mode = config.auth_mode

    def identify() -> User | flask.Response | None:
        if mode == "none":
            return LOCAL_ADMIN
        register = open_register(config)
        if mode == "proxy":
            if _address() not in config.trusted_proxies:
                return _refuse(403, "requests must come through the configured reverse proxy")
            name = flask.request.headers.get(config.auth_header, "").strip()
            if not name:
                return _refuse(401, f"the reverse proxy sent no {config.auth_header} header")
            user = accounts.get_user(register, name)
            if user is None:
                return _refuse(403, f"{name} has no account here (or it is disabled); ask an admin")
            return user
        signed = flask.session.get("user")
        user = accounts.get_user(register, signed) if isinstance(signed, str) else None
        if user is None and signed is not None:
            flask.session.clear()  # disabled or removed since they signed in
        return user

    @server.before_request
    def _identify() -> Any:
        path = flask.request.path
        if path.startswith(PUBLIC_PREFIXES):
            return None
        if mode == "password" and path == SIGNIN:
            return None
        found = identify()
        if isinstance(found, flask.Response):
            return found
        if found is None:
            return _unauthenticated()
        flask.g.user = found
        flask.g.actor_token = actor.set_for_request(found.username)
        return None

    @server.teardown_request
    def _forget(_: BaseException | None) -> None:
        token = flask.g.pop("actor_token", None)
        if token is not None:
            actor.reset(token)

    if mode != "password":
        return

    @server.route(SIGNIN, methods=["GET", "POST"])
    def _signin() -> Any:
        if flask.request.method == "GET":
            return _page()
        username = flask.request.form.get("username", "").strip()
        if not _csrf_ok():
            return _page("The form expired; please sign in again.", username, 400)
        try:
            user = accounts.authenticate(
                open_register(config), username, flask.request.form.get("password", ""), _address()
            )
        except SigninRefused as exc:
            status = 429 if "too many" in str(exc) else 401
            return _page(str(exc), username, status)
        flask.session.clear()  # a new session: no fixation
        flask.session.permanent = True
        flask.session["user"] = user.username
        csrf_token()
        return flask.redirect(_safe_next(flask.request.args.get("next")))

    @server.route(SIGNOUT, methods=["POST"])
    def _signout() -> Any:
        if not _csrf_ok():
            return _refuse(400, "the sign-out form expired; reload the page")
        flask.session.clear()
        return flask.redirect(SIGNIN)


def _refuse(status: int, message: str) -> flask.Response:
    response = flask.make_response(message, status)
    response.headers["Content-Type"] = "text/plain; charset=utf-8"
    return response

"""What every request to the dashboard must show and every response carries: the Host check
and the security headers. :func:`install` puts both on the app (``create_app`` calls it).

- **Host**: a request whose ``Host`` header names none of ``AppConfig.allowed_hosts`` (port
  ignored) is answered 400 before any page or callback runs (Flask's ``TRUSTED_HOSTS``), so a
  DNS-rebinding page or a misrouted proxy cannot drive the app under a foreign name.
- **Content-Security-Policy**: scripts, styles, fonts, images and connections from the app's
  own origin only. Dash puts a few inline scripts in its page (the renderer's start-up and the
  pages' clientside callbacks); they are allowed by their SHA-256 hashes, the approach Dash
  documents (``Dash.csp_hashes``), computed once Dash has set the page up. Styles also allow
  inline ``style`` elements, which Plotly writes into the page for every figure (its
  stylesheet is built at run time, so it has no hash); no script can be injected through them.
  Nothing may frame the app (``frame-ancestors 'none'`` and ``X-Frame-Options: DENY``).
- ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: no-referrer`` and a
  ``Cross-Origin-Opener-Policy`` on every response.
- ``Cache-Control: no-store`` on every response that carries data (the page, its layout,
  every callback answer and download); only the static scripts and styles, whose URLs carry
  their version, may be cached.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import flask
from dash import Dash

from dashboards.state import AppConfig

__all__ = ["STATIC_PREFIXES", "content_security_policy", "install"]

# Paths of static files that Dash fingerprints (versioned URLs): safe to cache.
STATIC_PREFIXES = ("/_dash-component-suites/", "/assets/", "/_favicon.ico")

FIXED_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def content_security_policy(script_hashes: Sequence[str]) -> str:
    """The policy for a page whose inline scripts have ``script_hashes`` (``'sha256-...'``)."""
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'", *script_hashes],
        # Plotly writes its stylesheet into <style> elements at run time (see module doc).
        "style-src": ["'self'", "'unsafe-inline'"],
        # Plotly's modebar and Bootstrap's form controls draw SVG icons from data: URLs.
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


def install(app: Dash, config: AppConfig) -> None:
    """Check the Host of every request and put the security headers on every response."""
    server: flask.Flask = app.server
    # Flask answers 400 (werkzeug's SecurityError) when the Host is not among these.
    server.config["TRUSTED_HOSTS"] = list(config.allowed_hosts)
    policy = _Policy(app)

    @server.after_request
    def _headers(response: flask.Response) -> flask.Response:
        response.headers["Content-Security-Policy"] = policy.value()
        for name, value in FIXED_HEADERS.items():
            response.headers[name] = value
        if not flask.request.path.startswith(STATIC_PREFIXES):
            response.headers["Cache-Control"] = "no-store"
        return response


class _Policy:
    """The app's policy, built on the first response: Dash knows its inline scripts only once
    it has set up its pages and callbacks (on the first request, before any response)."""

    def __init__(self, app: Dash) -> None:
        self._app = app
        self._value: str | None = None
        self._lock = threading.Lock()

    def value(self) -> str:
        with self._lock:
            if self._value is not None:
                return self._value
            value = content_security_policy(self._app.csp_hashes())
            # Kept only once Dash's set-up has run (a response can precede it, e.g. a refusal).
            if getattr(self._app, "_got_first_request", {}).get("setup_server"):
                self._value = value
            return value

"""Who may do what in the dashboard, enforced on the server in one place.

Two tables, and one check each:

- :data:`CALLBACK_ROLES`: every server callback, by its module and function, with the least
  role that may call it. :func:`install` checks every request to ``/_dash-update-component``
  (which is also how Dash's background callbacks start and poll, and how every download —
  ``dcc.Download`` — is produced) *before* the callback runs: an undeclared callback is refused
  (deny by default) and so is a user below its role, with HTTP 403 and nothing changed.
  tests/test_roles.py proves every callback of the app is declared.
- :data:`PAGE_ROLES`: every page's least role; a page asked for by a user below it draws a
  "not available" notice instead of its layout (no control of it reaches the browser), and
  the navbar leaves its link out.

Finer scoping (a focal point's own entities, a viewer always seeing the official appeal) is
applied by the use cases the callbacks call, from :func:`current_user`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import dash
import flask
from dash import Dash, html

from appeal.accounts import ROLES, User, at_least

__all__ = [
    "CALLBACK_ROLES",
    "PAGE_ROLES",
    "callback_name",
    "current_user",
    "install",
    "may_see",
    "required_role",
    "shows",
]

VIEWER, FOCAL_POINT, ANALYST, ADMIN = ROLES
# Outside a request (a background job's process) nobody is anybody: least privilege.
NOBODY = User("nobody", VIEWER)

PAGE_ROLES: dict[str, str] = {
    "/": VIEWER,
    "/donors": VIEWER,
    "/appeal": VIEWER,
    "/editions": VIEWER,
    "/donor": VIEWER,
    "/entities": VIEWER,
    "/programmes": FOCAL_POINT,
    "/pledges": ANALYST,
    "/scenarios": ANALYST,
    "/activity": ANALYST,
}

CALLBACK_ROLES: dict[str, str] = {
    # Dash's own: the page router and the background jobs' cancel.
    "dash.dash:Dash.enable_pages.<locals>.router_sync.<locals>.update": VIEWER,
    "dash.dash:Dash._setup_server.<locals>.cancel_call": VIEWER,
    # the shell: the phone menu, the shared filters in the address, the navbar's links
    "app:_shell_callbacks.<locals>._toggle": VIEWER,
    "app:_shell_callbacks.<locals>._sync_filters": VIEWER,
    "app:_shell_callbacks.<locals>._nav_links": VIEWER,
    # every grid's CSV / Excel download: turns the rows the browser sends back into a file
    "downloads:register.<locals>._download": VIEWER,
    "shell_parts:banner_state": VIEWER,
    "shell_parts:discard": ANALYST,
    # Overview, Donor base, Appeal: reads (viewers see the official appeal only, server-side)
    "pages.overview:render": VIEWER,
    "changes:references": VIEWER,
    "changes:show_changes": VIEWER,
    "pages.donors:render": VIEWER,
    "pages.donors:draw_sankey": VIEWER,
    # Donor profile (confidential donors by alias only) and Entities
    "pages.donor_profile:choose": VIEWER,
    "pages.donor_profile:render": VIEWER,
    "pages.entities:render": VIEWER,
    "pages.donors:run_stress": VIEWER,
    "pages.donors:run_risk": VIEWER,
    "pages.donors:cancelled": VIEWER,
    "pages.donors:started": VIEWER,
    "pages.appeal:scenario_options": VIEWER,
    "pages.appeal:preview": VIEWER,
    "pages.appeal:download": VIEWER,
    "pages.appeal:download_document": VIEWER,
    "pages.appeal:brief_options": VIEWER,
    "pages.appeal:download_brief": VIEWER,
    # Pledges: imports and status edits
    "pages.pledges:check": ANALYST,
    "pages.pledges:confirm": ANALYST,
    "pages.pledges:load_grid": ANALYST,
    "pages.pledges:edit_status": ANALYST,
    "pages.pledges:download_template": ANALYST,
    "pages.pledges:download_rejected": ANALYST,
    "pages.pledges:add_rate": ANALYST,
    "notes_panel:show_pledge_notes": ANALYST,
    "notes_panel:add_pledge_note": ANALYST,
    # Scenarios
    "pages.scenarios:show_working": ANALYST,
    "pages.scenarios:show_result": ANALYST,
    "pages.scenarios:run": ANALYST,
    "pages.scenarios:reset": ANALYST,
    "pages.scenarios:save": ANALYST,
    "pages.scenarios:confirm_replace": ANALYST,
    "pages.scenarios:save_as": ANALYST,
    "pages.scenarios:list_saved": ANALYST,
    "pages.scenarios:load_saved": ANALYST,
    "pages.scenarios:delete_saved": ANALYST,
    "pages.scenarios:show_versions": ANALYST,
    "pages.scenarios:restore": ANALYST,
    "pages.scenarios:mark_official": ADMIN,
    "pages.scenarios:compare": ANALYST,
    # Editions: read by all, published by admins
    "pages.editions:list_editions": VIEWER,
    "pages.editions:compare": VIEWER,
    "pages.editions:download": VIEWER,
    "pages.editions:publish": ADMIN,
    # Programmes & rates: focal points edit their own lines (scoped in appeal.service)
    "pages.programmes:load": FOCAL_POINT,
    "pages.programmes:save_lines": FOCAL_POINT,
    "pages.programmes:show_notes": FOCAL_POINT,
    "pages.programmes:add_note": FOCAL_POINT,
    "pages.programmes:save_rates": ANALYST,
    # Activity
    "pages.activity:show": ANALYST,
    "pages.activity:download": ANALYST,
}


def current_user() -> User:
    """The user of this request (set by :mod:`dashboards.auth`); :data:`NOBODY` outside one."""
    if flask.has_request_context():
        user = flask.g.get("user")
        if isinstance(user, User):
            return user
    return NOBODY


def shows(minimum: str) -> bool:
    """Whether a page being drawn includes the controls that need ``minimum``: for this
    request's user when they have it, and always while Dash builds its validation layout
    (before any user is known, from every page) — no user ever receives that layout; the
    callbacks behind the controls are checked on their own."""
    if flask.has_request_context() and "user" not in flask.g:
        return True
    return current_user().can(minimum)


def may_see(path: str, user: User | None = None) -> bool:
    """Whether ``user`` (default: this request's) may open the page at ``path``."""
    need = PAGE_ROLES.get(path)
    return need is not None and (user or current_user()).can(need)


def callback_name(function: Callable[..., Any]) -> str:
    """A callback's key in :data:`CALLBACK_ROLES`: ``module:qualified name`` (Dash wraps the
    function with functools.wraps, so the wrapper carries the original's names)."""
    module = str(getattr(function, "__module__", "?")).removeprefix("dashboards.")
    return f"{module}:{getattr(function, '__qualname__', '?')}"


def required_role(app: Dash, output: str) -> str | None:
    """The least role for the callback Dash knows as ``output`` (None: unknown or undeclared)."""
    entry = app.callback_map.get(output)
    function = entry.get("callback") if isinstance(entry, dict) else None
    if function is None:
        return None
    return CALLBACK_ROLES.get(callback_name(function))


def _refuse(status: int, message: str) -> flask.Response:
    response = flask.jsonify({"error": message})
    response.status_code = status
    return response


def _guard(path: str, layout: Any) -> Callable[..., Any]:
    @functools.wraps(layout)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        # Dash builds its validation layout from every page before any user is known.
        if flask.has_request_context() and "user" in flask.g and not may_see(path):
            return html.Div(
                [
                    html.H1("Not available", className="h3"),
                    html.P(
                        f"This page needs the {PAGE_ROLES.get(path, ADMIN).replace('_', ' ')} "
                        f"role; you are signed in as {current_user().role.replace('_', ' ')}."
                    ),
                ],
                className="not-allowed",
            )
        return layout(*args, **kwargs) if callable(layout) else layout

    return guarded


def install(app: Dash) -> None:
    """Check the role of every callback request, and guard every page's layout."""
    for page in dash.page_registry.values():
        page["layout"] = _guard(str(page["path"]), page["layout"])
    update = app.config.requests_pathname_prefix + "_dash-update-component"

    @app.server.before_request
    def _check_callback() -> flask.Response | None:
        if flask.request.path != update:
            return None
        body = flask.request.get_json(silent=True)
        output = body.get("output") if isinstance(body, dict) else None
        need = required_role(app, str(output)) if output else None
        if need is None:
            return _refuse(403, "this action is not declared in the role table: refused")
        user = current_user()
        if not user.can(need):
            return _refuse(
                403,
                f"this action needs the {need.replace('_', ' ')} role; "
                f"{user.username} is {user.role.replace('_', ' ')}",
            )
        return None


def require(minimum: str) -> User:
    """The current user when they have ``minimum`` (for use cases inside a callback that
    serve several roles differently); :class:`PermissionError` otherwise."""
    user = current_user()
    if not at_least(user.role, minimum):
        raise PermissionError(f"this needs the {minimum.replace('_', ' ')} role")
    return user

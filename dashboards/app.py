"""The Dash app factory: :func:`create_app` builds the multi-page dashboard for one register.

Pages live in :mod:`dashboards.pages` (``use_pages``); the navbar, the per-browser stores and
the global error alert live here. Everything is served locally (Bootstrap's CSS is vendored in
``dashboards/assets``; Dash, Plotly and AG Grid serve their own scripts), so the app works
offline. Uploads are limited on the server (Flask ``MAX_CONTENT_LENGTH``) as well as in the
browser (``dcc.Upload(max_size=...)`` plus a size check in ``assets/upload_limit.js``).

Multi-user safety: nothing a user edits is kept on the server outside the register, except a
checked upload waiting for its confirmation (:mod:`dashboards.uploads`: bound to its user,
bounded, expiring); the scenario being edited is in the browser tab's session storage
(``working-scenario``, a ``dcc.Store`` each page carries — see
:func:`dashboards.components.working_store`).

Serving (:func:`create_app`): every request's Host is checked and every response carries the
security headers (:mod:`dashboards.security`); sign-in is installed for ``AppConfig.auth_mode``
(:mod:`dashboards.auth`; the app refuses to start without it rather than serve without the
sign-in asked for); background jobs run on the manager :mod:`dashboards.jobs` chooses (Celery
on Redis, or diskcache subprocesses). :func:`warm_up` answers a first page once in the
server's parent process and :func:`release_handles` then closes what it opened, so forked
workers answer their first request quickly and never share a database connection.

Component ids come from :mod:`dashboards.ids`; ``suppress_callback_exceptions`` is off, so Dash
builds a validation layout of every page, and tests/test_dashboard_ids.py checks every
callback against it.

Accessibility (WCAG 2.1 AA) of the frame: the page's language, a skip link to the ``main``
landmark, header / nav / main / footer landmarks, visible focus (``assets/app.css``) and ARIA
names for Dash's own widgets (``assets/a11y.js``). The filters every page shares live in the
address's query string (:mod:`dashboards.logic.filters`): the filter bar writes it, the navbar
links carry it, and each page reads it, so a filtered view is a link.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import dash
import dash_bootstrap_components as dbc
import diskcache
import flask
from dash import Dash, dcc, html, set_props

from dashboards import (
    auth,
    changes,
    downloads,
    figures,
    ids,
    jobs,
    notes_panel,
    roles,
    security,
    shell_parts,
    state,
)
from dashboards.logic import filters
from dashboards.state import AppConfig

HERE = Path(__file__).resolve().parent
ASSETS = HERE / "assets"
PAGES = HERE / "pages"
TITLE = "Appeal planner"
log = logging.getLogger(__name__)


def _on_error(err: Exception) -> None:
    """Any unexpected callback failure: a clear message in the page, never a broken page."""
    log.exception("callback failed", exc_info=err)
    set_props(
        ids.GLOBAL_ALERT,
        {
            "children": [
                html.Strong("That did not work: "),
                f"{type(err).__name__}: {err}. The page is still usable; try again or reload.",
            ],
            "is_open": True,
        },
    )


# The page's language for screen readers and hyphenation (WCAG 3.1.1); the rest is Dash's own.
INDEX = """<!DOCTYPE html>
<html lang="en">
    <head>
        {%metas%}
        <title>{%title%}</title>
        {%favicon%}
        {%css%}
    </head>
    <body>
        {%app_entry%}
        <div>
            {%config%}
            {%scripts%}
            {%renderer%}
        </div>
    </body>
</html>"""


def _nav_pages() -> list[dict[str, Any]]:
    """The pages of the navbar: those this user may open."""
    return [
        page
        for page in dash.page_registry.values()
        if not page.get("hidden") and roles.may_see(str(page["path"]))
    ]


def navbar() -> Any:
    links = [
        dbc.NavItem(
            dbc.NavLink(
                page["name"],
                href=page["relative_path"],
                active="exact",
                id={"type": ids.NAV_LINK, "path": page["relative_path"]},
            )
        )
        for page in _nav_pages()
    ]
    return dbc.Navbar(
        dbc.Container(
            [
                html.A(
                    [
                        html.Span("◆", className="brand-mark me-2"),
                        html.Span(TITLE, className="navbar-brand mb-0"),
                    ],
                    href="/",
                    className="d-flex align-items-center text-decoration-none",
                ),
                # Bootstrap's toggler takes no label: a plain button with the same look does.
                html.Button(
                    html.Span(className="navbar-toggler-icon"),
                    id=ids.NAVBAR_TOGGLER,
                    n_clicks=0,
                    className="navbar-toggler",
                    type="button",
                    **{"aria-label": "Menu", "aria-controls": ids.NAVBAR_COLLAPSE},  # type: ignore[arg-type]
                ),
                dbc.Collapse(
                    [dbc.Nav(links, className="ms-auto", navbar=True), shell_parts.user_area()],
                    id=ids.NAVBAR_COLLAPSE,
                    navbar=True,
                ),
            ],
            fluid=True,
        ),
        color="primary",
        dark=True,
        className="mb-4 shadow-sm app-navbar",
    )


def filter_bar() -> Any:
    """The filters every page shares; their values come from the address (see
    :func:`_sync_filters`)."""
    try:
        choices = filters.options(state.load_plan(state.get_config()))
    except Exception:  # no plan yet (or no request): the bar is drawn empty
        choices = {f.key: [] for f in filters.FIELDS}
    cols = [
        dbc.Col(
            [
                dbc.Label(f.label, html_for=ids.filter(f.key), className="control-label"),
                dcc.Dropdown(
                    id=ids.filter(f.key),
                    options=choices[f.key],
                    placeholder="All",
                    clearable=True,
                    className="filter-dropdown",
                ),
            ],
            xs=6,
            md=4,
            xl=2,
        )
        for f in filters.FIELDS
    ]
    return html.Section(
        [
            html.H2("Filters", className="visually-hidden"),
            dbc.Row(cols, className="g-2"),
            html.Div(
                [
                    html.Span(
                        "Line filters choose budget lines, donor filters choose donors; the "
                        "address keeps them, so a filtered view can be sent as a link.",
                        className="help",
                    ),
                    dbc.Button(
                        "Clear filters",
                        id=ids.FILTER_CLEAR,
                        color="link",
                        size="sm",
                        className="ms-2 p-0 align-baseline",
                    ),
                ],
                className="mt-1",
            ),
        ],
        className="filter-bar mb-3",
        **{"aria-label": "Filters"},  # type: ignore[arg-type]
    )


def shell() -> Any:
    """The frame around every page: skip link, header with the navbar, the filters, the main
    landmark holding the page, and the footer."""
    return html.Div(
        [
            dcc.Location(id=ids.URL, refresh="callback-nav"),
            html.A("Skip to main content", href="#main", className="skip-link"),
            html.Header(navbar()),
            dbc.Container(
                [
                    dbc.Alert(id=ids.GLOBAL_ALERT, color="danger", is_open=False, dismissable=True),
                    shell_parts.banner(),
                    filter_bar(),
                    html.Main(dash.page_container, id="main", tabIndex="-1"),
                ],
                fluid=True,
                className="pb-5 app-body",
            ),
            html.Footer(
                "Multi-year appeal planner · UNOCT / Global Counter-Terrorism Coordination "
                "Compact · figures from the pledge register",
                className="app-footer small",
            ),
        ]
    )


def create_app(config: AppConfig) -> Dash:
    """A dashboard bound to one register (``config.db_url``)."""
    server = flask.Flask(__name__)
    # base64 makes an upload 4/3 larger, plus the JSON envelope of the callback.
    server.config["MAX_CONTENT_LENGTH"] = config.upload_limit_bytes * 4 // 3 + 1024 * 1024
    server.config["APPEAL"] = config
    background = jobs.manager(config)
    server.extensions["appeal_background"] = background

    @server.errorhandler(413)
    def _too_large(_: Exception) -> tuple[flask.Response, int]:
        limit = config.upload_limit_bytes // (1024 * 1024)
        return flask.jsonify(
            {"error": f"upload too large: the limit is {limit} MB per pledge file"}
        ), 413

    app = Dash(
        __name__,
        server=server,  # type: ignore[arg-type]  # Dash accepts a Flask app here
        use_pages=True,
        pages_folder=str(PAGES),
        assets_folder=str(ASSETS),
        serve_locally=True,
        title=TITLE,
        update_title=None,  # type: ignore[arg-type]
        # Every callback's ids must exist in the validation layout, which Dash builds from
        # every page's layout plus the shell on the first request (``app.validation_layout``);
        # tests/test_dashboard_ids.py checks them all.
        suppress_callback_exceptions=False,
        background_callback_manager=background,
        on_error=_on_error,
    )
    app.index_string = INDEX

    @server.before_request
    def _validation_layout() -> None:
        """Grids drawn by callbacks (with their download buttons) are not in any page's
        layout: add them to the validation layout Dash has just built from the pages."""
        layout = app.validation_layout
        if layout is not None and not getattr(layout, "dynamic_parts_added", False):
            whole = html.Div([layout, html.Div(downloads.validation_components())])
            whole.dynamic_parts_added = True
            app.validation_layout = whole

    app.layout = shell
    figures.warm_up()
    _shell_callbacks(app)
    for shared in (shell_parts, changes, notes_panel, downloads):
        shared.callbacks.register(app)
    security.install(app, config)
    # Who is asking (sign-in, or the local admin without it), then what they may do: the
    # order of the two request hooks matters.
    auth.install(app, config)
    roles.install(app)
    return app


def _shell_callbacks(app: Dash) -> None:
    @app.callback(
        dash.Output(ids.NAVBAR_COLLAPSE, "is_open"),
        dash.Input(ids.NAVBAR_TOGGLER, "n_clicks"),
        dash.Input(ids.URL, "pathname"),
        dash.State(ids.NAVBAR_COLLAPSE, "is_open"),
        prevent_initial_call=True,
    )
    def _toggle(n: int, _path: str, is_open: bool) -> bool:
        """The phone menu opens with its button and closes when the user navigates."""
        return dash.ctx.triggered_id == ids.NAVBAR_TOGGLER and not is_open

    filter_ids = [ids.filter(f.key) for f in filters.FIELDS]

    @app.callback(
        [dash.Output(ids.URL, "search"), *(dash.Output(i, "value") for i in filter_ids)],
        [
            dash.Input(ids.URL, "search"),
            dash.Input(ids.FILTER_CLEAR, "n_clicks"),
            *(dash.Input(i, "value") for i in filter_ids),
        ],
    )
    def _sync_filters(search: str | None, _clear: int | None, *values: Any) -> Any:
        """Address -> filter bar when the address changes (a link opened, a page visited);
        filter bar -> address when a filter changes (the page then redraws with it)."""
        trigger = dash.ctx.triggered_id
        if trigger is None or trigger == ids.URL:
            parsed = filters.parse(search)
            return [dash.no_update, *(parsed.get(f.key) for f in filters.FIELDS)]
        chosen = {} if trigger == ids.FILTER_CLEAR else dict(zip(filters.KEYS, values, strict=True))
        new = filters.query(chosen, search)
        keep = [dash.no_update] * len(filter_ids)
        if new == (search or ""):
            return [dash.no_update, *keep]
        cleared = [None] * len(filter_ids) if trigger == ids.FILTER_CLEAR else keep
        return [new, *cleared]

    @app.callback(
        dash.Output({"type": ids.NAV_LINK, "path": dash.ALL}, "href"),
        dash.Input(ids.URL, "search"),
        dash.State({"type": ids.NAV_LINK, "path": dash.ALL}, "id"),
    )
    def _nav_links(search: str | None, links: list[dict[str, str]]) -> list[str]:
        """Navbar links (those of the pages this user may open) keep the filters, and only
        the filters, of the address."""
        kept = filters.query(filters.parse(search))
        return [link["path"] + kept for link in links]


def warm_up(app: Dash) -> None:
    """Answer the first page of a visit once, in this process: Dash sets up its pages and
    callbacks, the plan is read from the register and the default scenario solved into the
    result cache (shared on disk by every worker). A failure here is left for the first real
    request to report."""
    from dashboards.client import CallbackClient

    config: AppConfig = app.server.config["APPEAL"]
    client = app.server.test_client()
    client.environ_base["HTTP_HOST"] = config.allowed_hosts[0]
    try:
        if config.auth_mode == "none":
            callbacks = CallbackClient.for_flask(client)
            callbacks.call(f"{ids.OVERVIEW_BODY}.children", {})
            return
        # With sign-in nobody is signed in here: Dash sets up on this first request, and the
        # official appeal (what the first page shows) is solved into the result cache.
        client.get(auth.SIGNIN)
        from appeal import workspace
        from models.scenario import Scenario

        plan = state.load_plan(config)
        scenario = workspace.official_scenario(state.open_register(config)) or Scenario()
        state.solve_scenario(config, plan, scenario)
    except Exception:  # warming up is an optimisation, never a failure
        log.warning("warming up the dashboard failed", exc_info=True)


def release_handles(app: Dash) -> None:
    """Close every database and cache connection this process holds for ``app`` (they reopen
    on next use) and stop the solver's threads: called before forking workers, which must each
    open their own."""
    import highspy

    state.release_handles()
    handle = getattr(app.server.extensions.get("appeal_background"), "handle", None)
    if isinstance(handle, diskcache.Cache):
        handle.close()
    # HiGHS keeps a pool of threads once it has solved; a forked worker would inherit the pool
    # without its threads and crash when it exits (joining threads it does not have).
    highspy.Highs.resetGlobalScheduler(True)

"""Every Dash component id of the dashboard, in one place.

Pages, callbacks and tests name components only through these constants, so an id is spelled
once; ``tests/test_dashboard_ids.py`` checks that every callback's inputs, outputs and states
exist in the app's validation layout (``suppress_callback_exceptions`` is off), so a callback
wired to a component that does not exist fails a test instead of silently never firing.

The Scenarios editor's controls are named by :func:`editor` from the editor's table of
controls (:mod:`dashboards.logic.editor`).
"""

from __future__ import annotations

# -- the shell around every page -------------------------------------------------------------
GLOBAL_ALERT = "global-alert"
# The address bar (its query string holds the filters every page shares).
URL = "url"
FILTER_CLEAR = "filter-clear"
FILTER_NOTE = "filter-note"
NAVBAR_TOGGLER = "navbar-toggler"
NAVBAR_COLLAPSE = "navbar-collapse"
# The navbar's links: pattern ids {"type": NAV_LINK, "path": the page's path}.
NAV_LINK = "nav-link"
# The scenario this browser tab is editing (a dcc.Store each page carries; aliases only).
WORKING_SCENARIO = "working-scenario"
# Who is signed in, and the sign-out form (dashboards/shell.py).
USER_AREA = "user-area"
SIGNOUT_FORM = "signout-form"
SIGNOUT_BUTTON = "signout-button"
# "NAME (modified, not saved)" with Save as / Discard, above every page.
UNSAVED_BANNER = "unsaved-banner"
UNSAVED_TEXT = "unsaved-text"
UNSAVED_SAVE_AS = "unsaved-save-as"
UNSAVED_DISCARD = "unsaved-discard"

# -- Overview ---------------------------------------------------------------------------------
OVERVIEW_BODY = "overview-body"
OVERVIEW_CARDS = "overview-cards"
OVERVIEW_GAP_CHART = "overview-gap-chart"
OVERVIEW_YEAR_CHART = "overview-year-chart"
OVERVIEW_HEATMAP = "overview-heatmap"
OVERVIEW_CHANGES = "overview-changes"
OVERVIEW_REFERENCE = "overview-reference"
OVERVIEW_CHANGE_LINES = "overview-change-lines"

# -- Pledges ----------------------------------------------------------------------------------
PLEDGE_UPLOAD = "pledge-upload"
UPLOAD_SIZE_MESSAGE = "upload-size-message"
UPLOAD_CHECK = "upload-check"
UPLOAD_SUMMARY = "upload-summary"
UPLOAD_ERRORS = "upload-errors"
UPLOAD_PLAN = "upload-plan"
# The server-side token of the checked upload (the file itself stays on the server).
UPLOAD_TOKEN = "upload-token"
UPLOAD_CONFIRM = "upload-confirm"
UPLOAD_RESULT = "upload-result"
UPLOAD_STORED = "upload-stored"
TEMPLATE_DOWNLOAD_BUTTON = "template-download-button"
TEMPLATE_DOWNLOAD = "template-download"
PLEDGES_VERSION = "pledges-version"
PLEDGES_GRID = "pledges-grid"
GRID_MESSAGE = "grid-message"
GRID_STATUS_ALERT = "grid-status-alert"
PLEDGE_NOTE_SELECT = "pledge-note-select"
PLEDGE_NOTES = "pledge-notes"
PLEDGE_NOTE_TEXT = "pledge-note-text"
PLEDGE_NOTE_ADD = "pledge-note-add"
PLEDGE_NOTE_MESSAGE = "pledge-note-message"

# -- Scenarios --------------------------------------------------------------------------------
EDITOR_PREFIX = "sc-"
SC_RUN = "sc-run"
SC_SAVE = "sc-save"
SC_RESET = "sc-reset"
SC_MESSAGE = "sc-message"
SC_SAVED_ALERT = "sc-saved-alert"
SC_RESULT = "sc-result"
SC_RESULT_CARD = "sc-result-card"
SC_SOLVER_STATUS = "sc-solver-status"
SC_NEXT_MILLION = "sc-next-million"
SC_GAPS = "sc-gaps"
SC_EXPLANATIONS = "sc-explanations"
SC_UNALLOCATED = "sc-unallocated"
SC_UNALLOCATED_CARD = "sc-unallocated-card"
SC_SENSITIVITY_CARD = "sc-sensitivity-card"
SC_SENSITIVITY = "sc-sensitivity"
SC_STABILITY_REPORT = "sc-stability-report"
# The result panel's wrapper (greyed out when the editor no longer matches it) and the editor
# values the shown result was solved from.
SC_RESULT_WRAP = "sc-result-wrap"
SC_RESULT_VALUES = "sc-result-values"
SAVED_VERSION = "saved-version"
SAVED_TABLE = "saved-table"
SAVED_LIST = "saved-list"
SAVED_SELECT = "saved-select"
SAVED_LOAD = "saved-load"
SAVED_DELETE = "saved-delete"
SAVED_MESSAGE = "saved-message"
COMPARE_A = "compare-a"
COMPARE_B = "compare-b"
COMPARE_RUN = "compare-run"
COMPARE_RESULT = "compare-result"
COMPARE_TOTALS = "compare-totals"
COMPARE_CHART = "compare-chart"
COMPARE_LINES = "compare-lines"
COMPARE_SETTINGS = "compare-settings"
COMPARE_CAUSES = "compare-causes"
# The scenario lifecycle: Save asks before replacing, Save as, versions, official appeal.
SC_REPLACE_MODAL = "sc-replace-modal"
SC_REPLACE_TEXT = "sc-replace-text"
SC_REPLACE_PENDING = "sc-replace-pending"
SC_REPLACE_CONFIRM = "sc-replace-confirm"
SC_REPLACE_CANCEL = "sc-replace-cancel"
SC_SAVE_AS_NAME = "sc-save-as-name"
SC_SAVE_AS = "sc-save-as"
SC_OFFICIAL = "sc-official"
VERSIONS_TABLE = "versions-table"
VERSION_SELECT = "version-select"
VERSION_RESTORE = "version-restore"
MARK_OFFICIAL = "mark-official"
VERSION_MESSAGE = "version-message"

# -- Donor base -------------------------------------------------------------------------------
DONORS_BODY = "donors-body"
DONORS_SANKEY = "donors-sankey"
DONORS_SANKEY_LINES = "donors-sankey-lines"
DONORS_SANKEY_SUMMARY = "donors-sankey-summary"
DONORS_MORE = "donors-more"
DONORS_TABLE = "donors-table"
DONORS_LORENZ = "donors-lorenz"
DONORS_TREEMAP = "donors-treemap"
DONORS_EARMARKING = "donors-earmarking"
STRESS_MODE = "stress-mode"
STRESS_TOP = "stress-top"
STRESS_DONORS = "stress-donors"
STRESS_RUN = "stress-run"
STRESS_RESULT = "stress-result"
STRESS_SUMMARY = "stress-summary"
STRESS_REMOVED = "stress-removed"
STRESS_CHART = "stress-chart"
STRESS_FIGURES = "stress-figures"
RISK_DRAWS = "risk-draws"
RISK_SEED = "risk-seed"
RISK_RUN = "risk-run"
RISK_CANCEL = "risk-cancel"
RISK_PROGRESS = "risk-progress"
RISK_STATUS = "risk-status"
RISK_RESULT = "risk-result"
RISK_SUMMARY = "risk-summary"
RISK_HISTOGRAM = "risk-histogram"
RISK_BANDS = "risk-bands"

# -- Donor profile ----------------------------------------------------------------------------
PROFILE_DONOR = "profile-donor"
PROFILE_BODY = "profile-body"
PROFILE_PLEDGES = "profile-pledges"
PROFILE_FUNDS = "profile-funds"
PROFILE_YEARS = "profile-years"

# -- Entities -----------------------------------------------------------------------------------
ENTITY_BODY = "entity-body"
ENTITY_CHART = "entity-chart"
ENTITY_YEARS = "entity-years"
ENTITY_LINES = "entity-lines"

# -- Appeal -----------------------------------------------------------------------------------
APPEAL_SCENARIO = "appeal-scenario"
APPEAL_DOWNLOAD_BUTTON = "appeal-download-button"
APPEAL_DOWNLOAD_MESSAGE = "appeal-download-message"
APPEAL_DOWNLOAD = "appeal-download"
APPEAL_DOWNLOAD_DONE = "appeal-download-done"
APPEAL_DOC_FORMAT = "appeal-doc-format"
APPEAL_DOC_BUTTON = "appeal-doc-button"
APPEAL_DOC_MESSAGE = "appeal-doc-message"
APPEAL_DOC_DOWNLOAD = "appeal-doc-download"
APPEAL_BRIEF_DONOR = "appeal-brief-donor"
APPEAL_BRIEF_BUTTON = "appeal-brief-button"
APPEAL_BRIEF_MESSAGE = "appeal-brief-message"
APPEAL_BRIEF_DOWNLOAD = "appeal-brief-download"
APPEAL_PREVIEW = "appeal-preview"
APPEAL_YEARS = "appeal-years"
APPEAL_ASKS = "appeal-asks"
APPEAL_YEAR_CHART = "appeal-year-chart"

# -- Editions ---------------------------------------------------------------------------------
EDITIONS_VERSION = "editions-version"
EDITIONS_TABLE = "editions-table"
EDITION_TITLE = "edition-title"
EDITION_AS_AT = "edition-as-at"
EDITION_PUBLISH = "edition-publish"
EDITION_MESSAGE = "edition-message"
EDITION_A = "edition-a"
EDITION_B = "edition-b"
EDITION_COMPARE = "edition-compare"
EDITION_RESULT = "edition-result"
EDITION_HEADLINE = "edition-headline"
EDITION_PLEDGES = "edition-pledges"
EDITION_LINES = "edition-lines"
EDITION_DONORS = "edition-donors"
EDITION_EXPORT_SELECT = "edition-export-select"
EDITION_EXPORT = "edition-export"
EDITION_DOWNLOAD = "edition-download"
EDITION_EXPORT_MESSAGE = "edition-export-message"

# -- Programmes & rates -----------------------------------------------------------------------
PROGRAMMES_VERSION = "programmes-version"
PROGRAMMES_GRID = "programmes-grid"
PROGRAMMES_SAVE = "programmes-save"
PROGRAMMES_ADD = "programmes-add"
PROGRAMMES_MESSAGE = "programmes-message"
PROGRAMMES_FUNDING = "programmes-funding"
PROGRAMMES_SCOPE = "programmes-scope"
FX_GRID = "fx-grid"
FX_SAVE = "fx-save"
FX_MESSAGE = "fx-message"
FX_SECTION = "fx-section"
LINE_NOTE_SELECT = "line-note-select"
LINE_NOTES = "line-notes"
LINE_NOTE_TEXT = "line-note-text"
LINE_NOTE_ADD = "line-note-add"
LINE_NOTE_MESSAGE = "line-note-message"

# -- Activity ---------------------------------------------------------------------------------
ACTIVITY_USER = "activity-user"
ACTIVITY_ACTION = "activity-action"
ACTIVITY_SINCE = "activity-since"
ACTIVITY_TABLE = "activity-table"
ACTIVITY_COUNT = "activity-count"
ACTIVITY_ROWS = "activity-rows"
ACTIVITY_DOWNLOAD_BUTTON = "activity-download-button"
ACTIVITY_DOWNLOAD = "activity-download"


def editor(name: str) -> str:
    """The id of the Scenarios editor's control ``name`` (e.g. ``"tier-1"`` -> ``sc-tier-1``)."""
    return EDITOR_PREFIX + name


def download(grid_id: str, part: str) -> str:
    """The id of a grid's download control: ``part`` is "csv", "xlsx" or "file" (the
    dcc.Download)."""
    return f"{grid_id}-download-{part}"


def filter(key: str) -> str:
    """The id of the shared filter bar's control for filter ``key`` (see logic/filters.py)."""
    return "filter-" + key.replace("_", "-")


def editor_feedback(control_id: str) -> str:
    """The id of the message beside an editor control that is invalid."""
    return control_id + "-feedback"

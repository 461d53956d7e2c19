"""The Appeal page's document and brief downloads (issue 15, item 5 and 4): what the callbacks
send is the narrative document or a donor's one-page brief of the chosen scenario, and no
confidential donor's name is in the raw reply or the file."""

from __future__ import annotations

import base64
import io

import docx
import pypdf
import pytest
from dash import Dash

from appeal.importer import ImportReport
from dashboards import client as wire
from dashboards import ids
from models.plan import Plan
from models.privacy import donor_aliases
from tests.test_dashboard_app import _app

DOCUMENT = (f"{ids.APPEAL_DOC_DOWNLOAD}.data", f"{ids.APPEAL_DOC_MESSAGE}.children")
BRIEF = (f"{ids.APPEAL_BRIEF_DOWNLOAD}.data", f"{ids.APPEAL_BRIEF_MESSAGE}.children")
OPTIONS = (f"{ids.APPEAL_BRIEF_DONOR}.options", f"{ids.APPEAL_BRIEF_DONOR}.value")


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, sample_loaded: tuple[Plan, ImportReport]) -> Dash:
    return _app(tmp_path_factory.mktemp("appeal-downloads"), sample_loaded)


@pytest.fixture
def client(app: Dash) -> wire.CallbackClient:
    return wire.CallbackClient.for_flask(app.server.test_client())


@pytest.fixture(scope="module")
def hidden(sample_loaded: tuple[Plan, ImportReport]) -> list[str]:
    names = [d for d, a in donor_aliases(sample_loaded[0]).items() if d != a]
    assert names, "the sample data has confidential donors"
    return names


def _pdf_text(raw: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(raw))
    meta = " ".join(str(v) for v in (reader.metadata or {}).values())
    return meta + "\n" + "\n".join(page.extract_text() or "" for page in reader.pages)


@pytest.mark.parametrize("suffix", [".pdf", ".docx"])
def test_the_document_download_is_the_chosen_scenarios_document(
    client: wire.CallbackClient,
    sample_loaded: tuple[Plan, ImportReport],
    hidden: list[str],
    suffix: str,
) -> None:
    reply = client.call(
        client.find(*DOCUMENT),
        {
            f"{ids.APPEAL_DOC_BUTTON}.n_clicks": 1,
            f"{ids.APPEAL_DOC_FORMAT}.value": suffix,
            f"{ids.APPEAL_SCENARIO}.value": "flexible_first",
            f"{ids.WORKING_SCENARIO}.data": None,
        },
    )
    data = reply[DOCUMENT[0]]
    assert data["filename"] == f"appeal-flexible_first{suffix}"
    raw = base64.b64decode(data["content"])
    if suffix == ".pdf":
        assert raw.startswith(b"%PDF")
        text = _pdf_text(raw)
    else:
        document = docx.Document(io.BytesIO(raw))
        text = "\n".join(p.text for p in document.paragraphs)
        text += " ".join(
            str(getattr(document.core_properties, k) or "")
            for k in ("title", "author", "subject", "keywords")
        )
    assert sample_loaded[0].title in " ".join(text.split())
    assert "flexible_first" in text
    raw_reply = str(reply)
    assert not any(name in text or name in raw_reply for name in hidden)
    assert f"Downloaded appeal-flexible_first{suffix}." in wire.text(reply[DOCUMENT[1]])


def test_briefs_are_offered_and_made_for_donors_as_shown(
    client: wire.CallbackClient, hidden: list[str]
) -> None:
    state = {f"{ids.APPEAL_SCENARIO}.value": "__official__", f"{ids.WORKING_SCENARIO}.data": None}
    options = client.call(client.find(*OPTIONS), state)
    shown = [o["value"] for o in options[OPTIONS[0]]]
    assert any(s.startswith("Anonymous donor") for s in shown)
    assert not any(name in str(options) for name in hidden)
    anonymous = next(s for s in shown if s.startswith("Anonymous donor"))
    reply = client.call(
        client.find(*BRIEF),
        {
            **state,
            f"{ids.APPEAL_BRIEF_BUTTON}.n_clicks": 1,
            f"{ids.APPEAL_BRIEF_DONOR}.value": anonymous,
        },
    )
    data = reply[BRIEF[0]]
    assert data["filename"].startswith("brief-Anonymous-donor-") and data["filename"].endswith(
        ".pdf"
    )
    text = _pdf_text(base64.b64decode(data["content"]))
    assert anonymous in " ".join(text.split())
    assert not any(name in text or name in str(reply) for name in hidden)


def test_a_confidential_donors_real_name_gets_no_brief_like_an_unknown_name(
    client: wire.CallbackClient, hidden: list[str]
) -> None:
    """The browser cannot confirm a guessed confidential donor by asking for its brief."""
    state = {f"{ids.APPEAL_SCENARIO}.value": "__official__", f"{ids.WORKING_SCENARIO}.data": None}
    texts = []
    for name in (hidden[0], "Atlantis"):
        reply = client.call(
            client.find(*BRIEF),
            {
                **state,
                f"{ids.APPEAL_BRIEF_BUTTON}.n_clicks": 1,
                f"{ids.APPEAL_BRIEF_DONOR}.value": name,
            },
        )
        assert reply[BRIEF[0]] is None
        text = wire.text(reply[BRIEF[1]])
        assert "No brief" in text
        texts.append(text.replace(name, "NAME"))
    assert texts[0] == texts[1]

"""The narrative appeal document, written for real (PDF and Word) and read back: pypdf for the
PDF's text, pages, images and properties; python-docx (and the .docx's own XML) for the Word
file's paragraphs, tables, pictures and core properties.

The headline figures must equal the JSON's to the dollar, every section must be there, each
programme must have its page, both files must carry the same figures, and no confidential
donor may be named anywhere: text, tables, chart words, image descriptions, properties.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import docx
import pypdf
import pytest

from appeal import cli, pipeline
from appeal.document import SECTION_TITLES, appeal_document, render, write_document
from appeal.document.docx import render_docx
from appeal.importer import load_sample_plan
from appeal.pipeline import PlanRun
from appeal.register import Register
from models.scenario import Scenario
from tests.test_workbook import SECRET, example_run, sample_args

AS_AT = "2027-01-15"


def squash(text: str) -> str:
    return " ".join(text.split())


def money(value: float) -> str:
    return f"USD {value:,.0f}"


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The sample appeal through the command line: its JSON, its PDF and its Word file."""
    folder = tmp_path_factory.mktemp("doc")
    scenario = str(Path("sample_data/scenarios/baseline.toml").resolve())
    args = [*sample_args(), "--scenario", scenario]
    assert cli.main(["plan", *args, "--json", str(folder / "result.json")]) == 0
    for suffix in ("pdf", "docx"):
        out = folder / f"appeal.{suffix}"
        assert cli.main(["document", *args, "--as-at", AS_AT, "--out", str(out)]) == 0
    data = json.loads((folder / "result.json").read_text(encoding="utf-8"))
    pdf = pypdf.PdfReader(folder / "appeal.pdf")
    word = docx.Document(str(folder / "appeal.docx"))
    return {"json": data, "pdf": pdf, "docx": word, "folder": folder}


def pdf_text(reader: pypdf.PdfReader) -> str:
    return squash("\n".join(p.extract_text() for p in reader.pages))


def docx_paragraphs(word: Any) -> list[str]:
    return [p.text for p in word.paragraphs]


def docx_tables(word: Any) -> list[list[list[str]]]:
    return [[[c.text for c in row.cells] for row in t.rows] for t in word.tables]


def test_headline_figures_equal_the_json_to_the_dollar(written: dict[str, Any]) -> None:
    totals = written["json"]["totals"]
    headline = (
        f"The appeal seeks {money(totals['requirement_usd'])} over 2027–2030. Pledges to date "
        f"fund {money(totals['funded_usd'])} ({totals['coverage']:.1%} of it), of which "
        f"{money(totals['firm_usd'])} is firm (committed or paid). {money(totals['gap_usd'])} "
        "remains to be raised."
    )
    assert headline in pdf_text(written["pdf"])
    assert headline in docx_paragraphs(written["docx"])


def test_every_line_year_equals_the_json(written: dict[str, Any]) -> None:
    """The data annex, row by row, in both files."""
    want = {
        (d["line_id"], str(d["year"])): tuple(
            money(d[k]) for k in ("requirement_usd", "funded_usd", "firm_usd", "gap_usd")
        )
        for d in written["json"]["lines"]
    }
    annex = next(t for t in docx_tables(written["docx"]) if t[0][:2] == ["Line", "Year"])
    got = {(r[0], r[1]): tuple(r[2:]) for r in annex[1:-1]}
    assert got == want
    text = pdf_text(written["pdf"])
    for (line, year), figures in want.items():
        assert f"{line} {year} {' '.join(figures)}" in text, (line, year)


def test_every_section_and_every_programme_page(written: dict[str, Any]) -> None:
    word = written["docx"]
    h1 = [p.text for p in word.paragraphs if p.style.name == "Heading 1"]
    assert h1 == list(SECTION_TITLES)
    plan, _ = load_sample_plan()
    h2 = [p.text for p in word.paragraphs if p.style.name == "Heading 2"]
    names = zip(plan.programmes["name"], plan.programmes["line_id"], strict=True)
    assert sorted(h2) == sorted(f"{n} ({i})" for n, i in names)
    pages = [squash(p.extract_text()) for p in written["pdf"].pages]
    for title in SECTION_TITLES:
        assert any(title in p for p in pages), title
    # One page per programme: each programme's title heads a page of its own.
    for name, line in zip(plan.programmes["name"], plan.programmes["line_id"], strict=True):
        heading = f"{name} ({line})"
        assert (
            sum(p.split(" Page ")[-1].startswith(heading) or heading in p[:200] for p in pages) == 1
        ), heading
    # The programmes' narratives (illustrative in the sample) are on their pages.
    text = pdf_text(written["pdf"])
    assert "Illustrative: Executive direction and strategic leadership gives" in text
    assert "Compact entities reporting on common indicators" in text
    assert "Illustrative: Executive direction and strategic leadership gives" in " ".join(
        docx_paragraphs(word)
    )


def test_a_file_scenario_is_a_draft_and_the_as_at_date_is_on_the_cover(
    written: dict[str, Any],
) -> None:
    cover = squash(written["pdf"].pages[0].extract_text())
    assert "DRAFT — not a saved scenario" in cover
    assert "As at 15 January 2027" in cover
    assert "ILLUSTRATIVE FIGURES" in cover
    assert "DRAFT — not a saved scenario" in docx_paragraphs(written["docx"])
    assert all("DRAFT" in p.extract_text() for p in written["pdf"].pages[1:4])  # every page


def test_a_saved_scenario_from_the_register_is_not_a_draft(tmp_path: Path) -> None:
    db = tmp_path / "register.sqlite"
    plan, report = load_sample_plan()
    with Register(f"sqlite:///{db}") as register:
        register.import_plan(plan, report)
        register.save_scenario("agreed", Scenario(name="agreed"))
    out = tmp_path / "agreed.pdf"
    assert cli.main(["--db", str(db), "document", "--scenario", "agreed", "--out", str(out)]) == 0
    cover = squash(pypdf.PdfReader(out).pages[0].extract_text())
    assert "Scenario: agreed" in cover and "DRAFT" not in cover
    # The register keeps the lines' narratives (contract columns): the programme pages carry
    # the stored text.
    text = squash(pdf_text(pypdf.PdfReader(out)))
    first = plan.programmes.iloc[0]
    assert squash(str(first["summary"]))[:60] in text
    assert "has not been provided yet" not in text


def test_both_files_carry_the_same_figures(written: dict[str, Any]) -> None:
    plan, report = load_sample_plan()
    run = pipeline.run(plan, Scenario(), report.to_dict())
    doc = appeal_document(run, as_at=dt.date(2027, 1, 15))
    figures = [b for s in doc.sections for b in s.blocks if type(b).__name__ == "Figure"]
    assert len(figures) >= 4
    with zipfile.ZipFile(io.BytesIO(render_docx(doc))) as zf:
        media = sorted(zf.read(n) for n in zf.namelist() if n.startswith("word/media/"))
    assert media == sorted(f.png for f in figures)  # the very images, byte for byte
    reader = pypdf.PdfReader(io.BytesIO(render(doc, ".pdf")))
    assert sum(len(p.images) for p in reader.pages) == len(figures)
    # Each picture in Word is described (alternative text) by its figure's description.
    word = docx.Document(io.BytesIO(render_docx(doc)))
    described = [s._inline.docPr.get("descr") for s in word.inline_shapes]
    assert described == [f.alt for f in figures] and all(described)


def confidential_run() -> PlanRun:
    """The workbook tests' example (a confidential donor named in explanations and import
    messages), with a programme narrative that names the donor too."""
    run = example_run()
    programmes = run.plan.programmes.assign(
        summary="",
        case_for_support=[f"With {SECRET}'s help the programme grew.", "", "", ""],
        expected_results="",
        indicators="",
    )
    return PlanRun(run.plan.replace(programmes=programmes), run.scenario, run.result, {})


def every_text_in_docx(path: Path) -> str:
    with zipfile.ZipFile(path) as zf:
        return "\n".join(
            zf.read(n).decode("utf-8", "replace") for n in zf.namelist() if n.endswith(".xml")
        )


def test_no_confidential_donor_anywhere(tmp_path: Path) -> None:
    run = confidential_run()
    doc = appeal_document(run)
    assert not [t for t in doc.texts() if SECRET.casefold() in t.casefold()]  # incl. chart words
    assert "Anonymous donor 1" in " ".join(doc.texts())
    pdf = write_document(tmp_path / "a.pdf", run)
    reader = pypdf.PdfReader(pdf)
    assert SECRET.casefold() not in pdf_text(reader).casefold()
    assert SECRET not in json.dumps({str(k): str(v) for k, v in (reader.metadata or {}).items()})
    assert SECRET.encode() not in pdf.read_bytes()
    word = write_document(tmp_path / "a.docx", run)
    xml = every_text_in_docx(word)  # paragraphs, tables, alt text, core properties
    assert SECRET.casefold() not in xml.casefold()
    assert "Anonymous donor 1" in xml
    core = docx.Document(str(word)).core_properties
    assert core.author and "python-docx" not in (core.author + core.last_modified_by)
    # Revealed for internal use, the name is there: the checks above can fail.
    internal = write_document(tmp_path / "internal.docx", run, reveal_confidential=True)
    assert SECRET in every_text_in_docx(internal)


def test_document_command_refuses_bad_targets_and_scenarios(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "appeal.txt"
    assert cli.main(["document", *sample_args(), "--out", str(out)]) == 2
    assert ".pdf or .docx" in capsys.readouterr().err
    missing = tmp_path / "missing" / "appeal.pdf"
    assert cli.main(["document", *sample_args(), "--out", str(missing)]) == 2
    bad = tmp_path / "bad.toml"
    bad.write_text("nmae = 'typo'\n")
    target = tmp_path / "appeal.pdf"
    code = cli.main(["document", *sample_args(), "--scenario", str(bad), "--out", str(target)])
    assert code == 2 and "nmae" in capsys.readouterr().err
    assert not target.exists() and [p.name for p in tmp_path.iterdir()] == ["bad.toml"]

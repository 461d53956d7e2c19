"""The hostile corpus (tests/hostile/corpus.py), every case run bounded and checked.

Each case is given to the tool the way its role says — ``appeal import`` (as the pledge file,
the programmes, the rates or the donors, or as a second import after a good one), ``appeal
plan`` (as a pledge file or as the scenario), or the dashboard's Pledges-page upload check —
in a forked child process whose address space is limited, with a timeout
(:mod:`tests.hostile.runner`). Every case must end in:

- exit code 2 and a message on stderr naming the file and saying what is wrong (each of the
  case's fragments), never a traceback or a raw exception's name;
- bounded time and memory: under 30 s and 1 GB peak resident memory (a behaviour bound,
  not a benchmark);
- nothing stored: the register empty (or, after a good first import, exactly as it was) and
  no result file written.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from appeal.register import Register
from models.scenario import Scenario, field_spec
from tests.conftest import SMALL_FX, SMALL_PROGRAMMES
from tests.hostile import files, runner
from tests.hostile.corpus import CASES, Case

ROOT = Path(__file__).resolve().parent.parent
BY_NAME = {c.name: c for c in CASES}
# A Python exception's name in a message means an error escaped unexplained.
RAW_EXCEPTION = re.compile(r"Traceback|\b[A-Z][A-Za-z]*(?:Error|Exception)\b|\bErrno\b")


def _fixtures(folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    header = files.PLEDGE_HEADER
    return {
        "programmes": files.write_csv(folder / "programmes.csv", SMALL_PROGRAMMES),
        "fx": files.write_csv(folder / "fx.csv", SMALL_FX),
        "good": files.write_csv(folder / "good.csv", [header, files.GOOD_ROW]),
        "first": files.write_csv(
            folder / "first.csv",
            [["pledge_id", *header, "confidential"], ["P1", *files.GOOD_ROW, "yes"]],
        ),
        "pair_a": files.write_csv(
            folder / "pair_a.csv", [["pledge_id", *header], ["P1", *files.GOOD_ROW]]
        ),
    }


def _job(case: Case, folder: Path, fx: dict[str, Path]) -> dict[str, Any]:
    """The runner job of one case (and what the test checks afterwards)."""
    folder.mkdir(parents=True, exist_ok=True)
    hostile = str(case.build(folder))
    db = f"sqlite:///{folder / 'register.sqlite'}"
    p, rates, good = str(fx["programmes"]), str(fx["fx"]), str(fx["good"])
    out = ["--json", str(folder / "result.json"), "--out", str(folder / "appeal.xlsx")]
    job: dict[str, Any] = {"name": case.name, "stderr": str(folder / "stderr.txt"), "db": db}
    imports = ["--db", db, "import"]
    if case.role == "pledges":
        job["argv"] = [*imports, "--programmes", p, "--fx", rates, hostile]
    elif case.role == "pledges_pair":
        job["argv"] = [*imports, "--programmes", p, "--fx", rates, str(fx["pair_a"]), hostile]
    elif case.role == "programmes":
        job["argv"] = [*imports, "--programmes", hostile, "--fx", rates, good]
    elif case.role == "fx":
        job["argv"] = [*imports, "--programmes", p, "--fx", hostile, good]
    elif case.role == "donors":
        job["argv"] = [*imports, "--programmes", p, "--fx", rates, "--donors", hostile, good]
    elif case.role == "second":
        job["setup"] = [[*imports, "--programmes", p, "--fx", rates, str(fx["first"])]]
        job["before"] = str(folder / "before.json")
        job["argv"] = [*imports, hostile]
    elif case.role == "plan":
        job["argv"] = ["plan", "--programmes", p, "--fx", rates, "--pledges", hostile, *out]
    elif case.role == "scenario":
        job["argv"] = ["plan", "--programmes", p, "--fx", rates, "--pledges", good]
        job["argv"] += ["--scenario", hostile, *out]
    elif case.role == "upload":
        job["upload"] = {"file": hostile, "programmes": p, "fx": rates}
    else:
        raise AssertionError(f"unknown role {case.role}")
    job["file"] = Path(hostile).name
    job["folder"] = str(folder)
    return job


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """Every case built and run once (the runner forks a bounded child per case)."""
    base = tmp_path_factory.mktemp("hostile")
    fixtures = _fixtures(base / "fixtures")
    jobs = [_job(case, base / case.name, fixtures) for case in CASES]
    (base / "jobs.json").write_text(json.dumps(jobs), encoding="utf-8")
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        # One thread per numeric library, so forking the runner is safe.
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }
    env.pop("APPEAL_DEBUG", None)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.hostile.runner",
            str(base / "jobs.json"),
            str(base / "out.json"),
        ],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=len(jobs) * runner.SECONDS,
    )
    results = json.loads((base / "out.json").read_text(encoding="utf-8"))
    by_name = {job["name"]: job for job in jobs}
    for result in results:
        by_name[result["name"]].update(result)
        path = Path(by_name[result["name"]]["stderr"])
        by_name[result["name"]]["err"] = path.read_text(encoding="utf-8", errors="replace")
    return by_name


@pytest.mark.parametrize("name", list(BY_NAME))
def test_hostile_case(name: str, corpus: dict[str, dict[str, Any]]) -> None:
    case, job = BY_NAME[name], corpus[name]
    err = job["err"]
    # Bounded: no case above 30 s or 1 GB.
    assert not job["killed"], f"{name} ran past {runner.SECONDS:.0f} s"
    assert job["seconds"] < runner.SECONDS
    assert job["max_rss"] < runner.MEMORY_BYTES, f"{name} peaked at {job['max_rss'] / 2**20:.0f} MB"
    # A clear error: exit 2, the file named, every fragment, no raw exception.
    assert job["rc"] == 2, (job["rc"], err[-2000:])
    assert job["file"] in err, err[-2000:]
    for fragment in case.fragments:
        assert fragment in err, (fragment, err[-2000:])
    assert not RAW_EXCEPTION.search(err), err[-2000:]
    # Nothing stored, nothing written.
    folder = Path(job["folder"])
    assert not (folder / "result.json").exists()
    assert not (folder / "appeal.xlsx").exists()
    if "argv" in job and "import" in job["argv"]:
        with Register(job["db"]) as register:
            if "before" in job:
                before = json.loads(Path(job["before"]).read_text(encoding="utf-8"))
                assert register.pledges().astype(str).to_dict("records") == before
                assert len(register.import_log()) == 1  # the good first import only
            else:
                assert register.is_empty()
                assert register.import_log().empty


# -- the corpus covers what the issue asks --------------------------------------------------
KINDS = (
    "truncated zip",
    "lying zip",
    "zip bomb",
    "entity expansion",
    "huge and tiny numbers",
    "NaN/inf",
    "dates out of range",
    "duplicate ids across files",
    "hidden sheets",
    "error values",
    "control characters",
    "injection text",
    "wrong types for every scenario key",
    # the findings of issue 11
    "finding: row 1000000000",
    "finding: column ZZZZZZ",
    "finding: 10^6-row csv",
    "finding: field over 128 KB",
    "finding: huge amounts",
    "finding: exchange rate 1e-320",
    "finding: requirement years 1900 and 2999",
    "finding: malformed parts",
    "finding: pledge id from another file",
    "finding: uploads through the Pledges page",
)


def test_the_corpus_has_every_kind_and_at_least_150_cases() -> None:
    assert len(CASES) >= 150
    assert len(BY_NAME) == len(CASES), "case names repeat"
    kinds = {c.kind for c in CASES}
    assert not [k for k in KINDS if k not in kinds]


def _scenario_leaves(model: Any = Scenario, prefix: str = "") -> Iterator[str]:
    """Every scenario key path: fields of the scenario and its sections (tables of values,
    such as weights.tier, as one key)."""
    from pydantic import BaseModel

    for name, field in model.model_fields.items():
        path = prefix + name
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            yield path
            yield from _scenario_leaves(annotation, path + ".")
        else:
            yield path


def test_every_scenario_key_has_a_wrong_type_and_an_out_of_range_case() -> None:
    scenario_cases = [c for c in CASES if c.role == "scenario"]
    for path in _scenario_leaves():
        mine = [c for c in scenario_cases if c.key == path or c.key.startswith(path + ".")]
        assert any(c.what == "type" for c in mine), f"no wrong-type case for {path}"
        try:
            spec = field_spec(path)
        except KeyError:
            continue  # a section or a table of values: its values' cases are counted above
        bounded = (
            spec.lower is not None or spec.upper is not None or spec.kind in ("list", "choice")
        )
        if bounded or spec.kind == "text":
            assert any(c.what == "range" for c in mine), f"no out-of-range case for {path}"

"""LibreOffice, headless, for the tests: convert files (recalculate a workbook, print it to
PDF) in a throwaway user profile, with a time limit."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

__all__ = ["convert"]


def convert(paths: Sequence[Path], fmt: str, out: Path) -> list[Path]:
    """Convert ``paths`` to ``fmt`` ("xlsx", "pdf") into folder ``out``; the converted files,
    in order. Fails the test with LibreOffice's message when a file is not converted."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    assert soffice, "LibreOffice (soffice) must be installed: apt-get install libreoffice-calc"
    profile = out.parent / f"{out.name}-profile"
    proc = subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            fmt,
            "--outdir",
            str(out),
            *[str(p) for p in paths],
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    converted = [out / f"{p.stem}.{fmt}" for p in paths]
    for path in converted:
        assert path.exists(), f"LibreOffice did not convert {path.name}: {proc.stderr}"
    return converted

"""Writing a file so it appears complete or not at all.

Every file the tool writes for people (the workbook, the appeal document, the donor briefs)
goes through :func:`write_atomically`: written to a temporary file in the target's folder,
given the permissions a plainly created file would have, then renamed over the target. A
failure leaves the previous file (if any) as it was and no debris behind.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

__all__ = ["check_target", "write_atomically"]


def check_target(
    path: str | Path, suffixes: tuple[str, ...], error: Callable[[str], Exception], kind: str
) -> Path:
    """``path`` as the target of a file, or ``error(message)`` when it cannot be one: a
    missing folder, a folder, a suffix not in ``suffixes`` (then the message says ``kind``:
    "the appeal workbook must be an .xlsx file"). Commands call it before the long work, so a
    typo fails at once."""
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise error(f"{target}: folder {folder} does not exist")
    if target.suffix.lower() not in suffixes:
        raise error(f"{target}: {kind}")
    if target.is_dir():
        raise error(f"{target}: is a folder, not a file")
    return target


def write_atomically(
    target: Path, write: Callable[[Path], object], error: Callable[[str], Exception]
) -> Path:
    """Call ``write(tmp)`` to fill a temporary file, then rename it to ``target``. An OSError
    becomes ``error(message)`` naming the target."""
    fd, tmp_name = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=".tmp", dir=target.parent if str(target.parent) else "."
    )
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        # mkstemp makes the file private (0600); give it the permissions a plainly created
        # file would have, so the file can be shared like any other document.
        umask = os.umask(0)
        os.umask(umask)
        tmp.chmod(0o666 & ~umask)
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise error(f"{target}: cannot write: {exc.strerror or exc}") from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target

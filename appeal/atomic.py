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

__all__ = ["write_atomically"]


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

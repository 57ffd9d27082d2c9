"""onnxruntime, imported with its telemetry off.

onnxruntime 1.30's Linux wheel starts a telemetry client when it is imported: it records events
locally, writes a `.ses` session file and an empty `mat-debug-<pid>.log` into the temp folder (one per
process).  `ORT_DISABLE_TELEMETRY=1` set before the first import stops all three;
`disable_telemetry_events()` also turns event recording off in case the module was imported earlier
by something else, and then our own empty debug log is removed.  Every session of this project is
created through `onnxruntime()` (detectors, attribute models).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def onnxruntime():
    """The onnxruntime module, telemetry off (see the module doc)."""
    os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
    import onnxruntime as ort

    ort.disable_telemetry_events()
    log = Path(tempfile.gettempdir()) / f"mat-debug-{os.getpid()}.log"
    try:
        if log.is_file() and log.stat().st_size == 0:
            log.unlink()
    except OSError:
        pass
    return ort


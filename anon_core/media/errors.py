import os


class MediaError(ValueError):
    """Unreadable, corrupt, empty or unsupported media.  The message says what is wrong and how to fix it."""


def pixel_limit(name: str, default: int) -> int:
    """A pixel-count limit from the environment (ANON_MAX_PIXELS, ANON_MAX_VIDEO_PIXELS).  A value that
    is not a positive whole number is one error line (exit 2 in the CLI), not a traceback at import."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = int(raw.replace("_", ""))
    except ValueError:
        value = 0
    if value <= 0:
        raise MediaError(f"{name}={raw!r}: give a positive whole number of pixels (default {default})")
    return value

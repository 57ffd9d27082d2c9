class MediaError(ValueError):
    """Unreadable, corrupt, empty or unsupported media.  The message says what is wrong and how to fix it."""

"""The CLI's user-facing error (its own module, so `python -m anon_core.cli.main` catches the same class)."""


class CliError(Exception):
    """An error for the user: printed as one line, exit code 2 (or `code`)."""

    def __init__(self, message: str, code: int = 2):
        super().__init__(message)
        self.code = code

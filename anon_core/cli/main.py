"""`anon` command line.  Sub-commands live in their own modules, each exposing
`register(subparsers)`, which adds its parser and sets `func(args) -> int` as the default.

Core commands are listed in CORE_COMMANDS; showcases plug theirs in through the
`anon.commands` entry-point group (see pyproject.toml), so anon_core never imports them.
"""

from __future__ import annotations

import argparse
import os
import sys

from anon_core.cli.errors import CliError  # noqa: F401  (re-exported: commands import it from here)
from anon_core.interrupts import Terminated, received_signal, signals_raise

CORE_COMMANDS = [
    "anon_core.cli.anonymize_cmd",  # image, video, frames
    "anon_core.cli.batch_cmd",  # batch
    "anon_core.cli.models_cmd",  # models list|pull
    "anon_core.cli.audit_cmd",  # audit
    "anon_core.synth.cli",  # synth
    "anon_core.bench.cli",  # bench
]


class _OneLineParser(argparse.ArgumentParser):
    """A mistyped option is bad input like any other: one line and exit 2, not the whole usage block
    (`anon image`'s usage alone is 10 lines, and hid the error under it)."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser():
    """The argparse parser with every command (imports the command modules: numpy, torch, models)."""
    import importlib
    from importlib.metadata import entry_points

    parser = _OneLineParser(
        prog="anon", description="Anonymize faces and persons in photos and video; run analytics on the result.")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    from anon_core import plugins  # heavy (numpy, cv2): imported inside main(), see main's docstring

    plugins.load()  # before the commands list the registries (--method choices include synthetic-face)
    modules = list(CORE_COMMANDS)
    modules += [ep.value for ep in entry_points(group="anon.commands")]
    for name in dict.fromkeys(modules):
        try:
            module = importlib.import_module(name)
        except ImportError as exc:
            if exc.name and name.startswith(exc.name):  # a command module not written/installed yet
                continue
            raise
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Every failure the user can cause ends in one stderr line: CliError/MediaError exit 2, an
    output-side OSError (no space, no permission) exit 2, Ctrl-C exit 130, SIGTERM exit 143 -- also
    while the heavy modules are still being imported.  SIGTERM/SIGHUP raise (signals_raise), so the
    jobs' `with Outputs(...)` blocks remove their temp files before the process ends."""
    os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")  # before any import of onnxruntime (see ort_runtime)
    command = "anon"
    try:
        with signals_raise():
            parser = build_parser()
            args = parser.parse_args(argv)
            command = f"anon {args.command}"
            import logging

            logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                                format="%(levelname)s %(name)s: %(message)s")
            return int(args.func(args) or 0)
    except CliError as exc:
        print(f"{command}: error: {exc}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        return _interrupted(command, 2)
    except Terminated as exc:
        return _interrupted(command, int(exc.code) - 128)
    except ValueError as exc:  # MediaError / OutputError / GroundTruthError escaping a command
        if type(exc).__module__.startswith("anon_core"):
            print(f"{command}: error: {exc}", file=sys.stderr)
            return 2
        raise
    except OSError as exc:
        if received_signal() is None:
            from anon_core.outputs import os_error_line

            print(f"{command}: error: {os_error_line(exc)}", file=sys.stderr)
            return 2
        return _interrupted(command, received_signal())
    except RuntimeError as exc:  # a model's weights missing (ModelUnavailableError says how to fetch them)
        if received_signal() is None and type(exc).__name__ == "ModelUnavailableError":
            print(f"{command}: error: {exc}", file=sys.stderr)
            return 2
        if received_signal() is None:
            raise
        return _interrupted(command, received_signal())
    except Exception:
        if received_signal() is None:
            raise
        return _interrupted(command, received_signal())  # e.g. an import turned Ctrl-C into ImportError


def _interrupted(command: str, signum: int) -> int:
    import signal

    _ignore_further_signals()
    what = "interrupted" if signum == signal.SIGINT else "terminated"
    print(f"{command}: {what} (unfinished outputs removed)", file=sys.stderr)
    return 128 + signum


def _ignore_further_signals() -> None:
    """The command is ending and its temps are removed: a repeated Ctrl-C (or one still pending from
    start-up, delivered again while the interpreter shuts down) must not turn the exit into a traceback."""
    import ctypes
    import signal

    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, signal.SIG_IGN)
    # CPython notes a KeyboardInterrupt that escapes code run through PyRun_* (pybind11 extensions such
    # as onnxruntime run some while being imported) and, at exit, kills itself with SIGINT even though we
    # handled it (exit status -2 instead of 130).  Any PyRun_* call that completes resets that note.
    try:
        ctypes.pythonapi.PyRun_SimpleString(b"pass")
    except (AttributeError, OSError):  # not CPython: nothing to reset
        pass


if __name__ == "__main__":
    sys.exit(main())

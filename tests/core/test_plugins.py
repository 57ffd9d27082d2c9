"""Plug-ins register in one place (anon_core.plugins.load, called by the CLI and the app at start-up),
never as a side effect of importing a module."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SNAPSHOT = """
import json, importlib
from anon_core.anonymize.catalog import ANONYMIZERS
from anon_core.detectors.catalog import DETECTORS
def snap():
    return {"anonymizers": ANONYMIZERS.names(), "detectors": DETECTORS.names()}
before = snap()
for name in ("showcases.attributes.replacement", "showcases.attributes.analysis", "showcases.attributes.media_run",
             "showcases.attributes.cli", "showcases.attributes.plugin", "showcases.counting.session",
             "showcases.tracking.session"):
    importlib.import_module(name)
after_imports = snap()
from anon_core import plugins
plugins.load()
after_load = snap()
plugins.load()
print(json.dumps({"before": before, "after_imports": after_imports, "after_load": after_load,
                  "after_second_load": snap()}))
"""


def _python(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_importing_the_showcases_changes_no_registry_and_load_adds_synthetic_face_once():
    run = _python("-c", SNAPSHOT)
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout.strip().splitlines()[-1])
    assert out["after_imports"] == out["before"]
    assert "synthetic-face" not in out["before"]["anonymizers"]
    assert out["after_load"]["anonymizers"] == out["before"]["anonymizers"] + ["synthetic-face"]
    assert out["after_load"]["detectors"] == out["before"]["detectors"]
    assert out["after_second_load"] == out["after_load"]


def test_a_fresh_cli_offers_synthetic_face_as_a_method():
    run = _python("-m", "anon_core", "video", "--help")
    assert run.returncode == 0, run.stderr
    method_help = run.stdout[run.stdout.index("--method"):]
    choices = method_help[method_help.index("{") + 1:method_help.index("}")].split(",")
    assert {"blur", "pixelate", "fill", "synthetic-face"} <= set(choices)


def test_a_plugin_method_is_listed_without_importing_its_module():
    run = _python("-c", "import sys; from anon_core import plugins; plugins.load(); "
                        "from anon_core.anonymize import ANONYMIZERS; "
                        "print(ANONYMIZERS.info('synthetic-face')); "
                        "print('showcases.attributes.replacement' in sys.modules)")
    assert run.returncode == 0, run.stderr
    info, imported = run.stdout.strip().splitlines()[-2:]
    assert "same sex" in info
    assert imported == "False"

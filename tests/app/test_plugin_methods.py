"""Every page lists the same anonymization methods, plug-ins included (anon_core.plugins.load in
ui.layout.page_setup): the Home page offers synthetic-face before any showcase page ran."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# A fresh interpreter: no earlier test has loaded the plug-ins or imported a showcase.
SCRIPT = """
import sys
from streamlit.testing.v1 import AppTest
at = AppTest.from_file("Home.py", default_timeout=120)
at.run()
assert not at.exception, [e.message for e in at.exception]
print("|".join(o.split(" ")[0] for o in at.sidebar.selectbox(key="anon_w_method").options))
print("showcases.attributes.replacement" in sys.modules)
"""  # options are shown as "name — description"


def test_home_sidebar_offers_synthetic_face_without_importing_the_showcase(app_tmp):
    run = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert run.returncode == 0, run.stderr[-2000:]
    options, imported = run.stdout.strip().splitlines()[-2:]
    assert {"blur", "pixelate", "fill", "synthetic-face"} <= set(options.split("|"))
    assert imported == "False"

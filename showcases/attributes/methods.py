"""The attribute showcase's method names, apart from the models: `anon --help` lists them without importing
torch (showcases.attributes.analysis loads the estimators; importing it costs ~2.3 s of a 6.6 s `anon --help`,
measured with `python -X importtime -m anon_core.cli.main --help` on the shared 2-core machine)."""

from __future__ import annotations

ANALYZE_THEN_ANONYMIZE = "analyze-then-anonymize"
METHODS = ("blur", "pixelate", "fill", "synthetic-face", ANALYZE_THEN_ANONYMIZE)

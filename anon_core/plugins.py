"""The one place plug-ins are registered: `load()`, called at start-up by the CLI and the app.

The core parts register themselves in their catalogs (anon_core.anonymize.catalog,
anon_core.detectors.catalog).  Everything else -- the showcases' methods such as `synthetic-face`,
third-party packages -- is found through the `anon.plugins` entry-point group (pyproject.toml): each
entry names a `register(registries)` function that adds its parts to `registries.anonymizers` /
`registries.detectors`, by "module:attr" strings so that listing never imports a model or a framework.
Importing a module never registers anything; `load()` is idempotent (the second call is a no-op).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from importlib.metadata import entry_points

from anon_core.anonymize.catalog import ANONYMIZERS
from anon_core.detectors.catalog import DETECTORS
from anon_core.registry import Registry

GROUP = "anon.plugins"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Registries:
    """What a plug-in's register() receives."""

    anonymizers: Registry
    detectors: Registry


REGISTRIES = Registries(ANONYMIZERS, DETECTORS)
_loaded: set[str] = set()


def load() -> list[str]:
    """Run every `anon.plugins` entry point's register() once; returns the plug-ins loaded so far."""
    for ep in entry_points(group=GROUP):
        if ep.value in _loaded:
            continue
        try:
            register = ep.load()
        except ImportError as exc:  # an optional showcase/package not installed: its parts stay unlisted
            log.warning("plug-in %s (%s) not loaded: %s", ep.name, ep.value, exc)
            _loaded.add(ep.value)
            continue
        register(REGISTRIES)
        _loaded.add(ep.value)
    return sorted(_loaded)

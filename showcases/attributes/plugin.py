"""The attributes showcase's plug-ins, registered by anon_core.plugins.load() (entry point `anon.plugins`).

Registered by name only ("module:attr"): the replacement module (openpeople donors, face embedder)
is imported when a synthetic-face anonymizer is built, not when a method list is shown."""

from __future__ import annotations


def register(registries) -> None:
    registries.anonymizers.register(
        "synthetic-face", "showcases.attributes.replacement:SyntheticFace",
        "face replaced by an openpeople person of the same sex, age band and emotion")

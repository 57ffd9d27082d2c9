"""Privacy policy: which target (detection label) gets which anonymization.

YAML or JSON, e.g.::

    face:   {method: pixelate, shape: ellipse, padding: 0.2}
    person: {method: blur, shape: box}
    zones: ["always=0.7,0,1,0,1,0.4,0.7,0.4", {never: [10, 20, 200, 20, 200, 300, 10, 300]}]
    keep_faces: consent/      # consent list folder, relative to the policy file

Labels that the policy does not name are left untouched (cars, boxes ... stay visible).
`zones` and `keep_faces` are not labels: they are read into `policy.zones` (anon_core/zones.py) and
`policy.keep_faces` (anon_core/consent).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from anon_core.anonymize.catalog import ANONYMIZERS
from anon_core.anonymize.regions import RegionAnonymizer
from anon_core.detections import Detections

TARGETS = ("face", "person")
# Region shape and padding of a target when neither the CLI, the app nor a policy names them (the one
# place every path reads them from). Faces: an ellipse 1.3x the face box covers > 95 % of the box.
# Persons: a box grown 0.2 covers >= 90 % of the box of 95 % of MOT17-02's visible pedestrians (41/43)
# with 2.4 % collateral; the face ellipse 0.3 covered 93 % (README, persons in crowded street footage).
REGION_DEFAULTS = {"face": {"shape": "ellipse", "padding": 0.3}, "person": {"shape": "box", "padding": 0.2}}


def region_defaults(target: str, shape: str | None = None, padding: float | None = None) -> dict:
    """{"shape", "padding"} for `target`: the explicit values where given, else the target's defaults."""
    base = REGION_DEFAULTS.get(target, REGION_DEFAULTS["face"])
    return {"shape": shape or base["shape"], "padding": base["padding"] if padding is None else float(padding)}

# Larger regions first so that a face style drawn later stays on top of a person style.
_ORDER = {"person": 0, "face": 1}


def _is_region(method: str) -> bool:
    factory = ANONYMIZERS.entry(method).factory
    return isinstance(factory, type) and issubclass(factory, RegionAnonymizer)


class PolicyError(ValueError):
    pass


@dataclass
class Rule:
    method: str = "blur"
    options: dict = field(default_factory=dict)  # shape, padding, strength, colour, ...

    def build(self, target: str | None = None):
        """The anonymizer; a region method's shape/padding the rule leaves out are `target`'s defaults."""
        if self.method not in ANONYMIZERS:
            raise PolicyError(f"unknown method {self.method!r}; choose one of: {', '.join(ANONYMIZERS.names())}")
        options = dict(self.options)
        if target is not None and _is_region(self.method):
            options.update(region_defaults(target, options.get("shape"), options.get("padding")))
        try:
            return ANONYMIZERS.create(self.method, **options)
        except (TypeError, ValueError) as exc:
            unknown = re.search(r"unexpected keyword argument '(\w+)'", str(exc))
            if unknown:  # a misspelt key ("shap: box") named the internal class (RegionStyle.__init__() got ...)
                raise PolicyError(f"unknown option {unknown[1]!r} for {self.method!r}; a rule takes method, shape, "
                                  "padding, strength (fill: colour)") from None
            raise PolicyError(f"bad options for {self.method!r}: {exc}") from None


class Policy:
    """Maps labels to anonymizers and applies them: `policy.apply(frame, dets) -> new frame`."""

    def __init__(self, rules: dict[str, Rule], zones: list | None = None, keep_faces: str | None = None):
        self.zones = list(zones or [])  # anon_core.zones.Zone
        self.keep_faces = keep_faces  # consent list folder or None
        if not rules:
            raise PolicyError("a policy needs at least one target, e.g. {'face': {'method': 'blur'}}")
        self.rules = dict(sorted(rules.items(), key=lambda kv: _ORDER.get(kv[0], -1)))
        self._anonymizers = {label: rule.build(label) for label, rule in self.rules.items()}

    @classmethod
    def uniform(cls, targets=("face",), method: str = "blur", **options) -> Policy:
        """One method for every target; shape/padding left out or None are each target's defaults."""
        options = {k: v for k, v in options.items() if v is not None}
        return cls({t: Rule(method, dict(options)) for t in targets})

    @classmethod
    def from_dict(cls, data: dict, base_dir: Path | None = None) -> Policy:
        if not isinstance(data, dict):
            raise PolicyError("a policy is a mapping of target label -> {method: ..., shape: ..., padding: ...}")
        # here, not at module level: zones -> anon_core.anonymize (package init) -> policy -> zones would be a cycle
        from anon_core.zones import ZoneError, zones_from_policy

        data = dict(data)
        try:
            zones = zones_from_policy(data.pop("zones", None))
        except ZoneError as exc:
            raise PolicyError(str(exc)) from None
        keep = data.pop("keep_faces", None)
        if keep is not None:
            keep = str(Path(base_dir or ".") / str(keep)) if not Path(str(keep)).is_absolute() else str(keep)
        rules = {}
        for label, spec in data.items():
            spec = {"method": spec} if isinstance(spec, str) else dict(spec or {})
            rules[str(label)] = Rule(spec.pop("method", "blur"), spec)
        return cls(rules, zones, keep)

    @classmethod
    def from_file(cls, path: str | Path) -> Policy:
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise PolicyError(f"cannot read policy file {path}: {exc.strerror}") from None
        return cls.from_text(text, path.suffix, base_dir=path.parent)

    @classmethod
    def from_text(cls, text: str, suffix: str = ".yaml", base_dir: Path | None = None) -> Policy:
        try:
            if suffix.lower() == ".json":
                data = json.loads(text)
            else:
                import yaml

                data = yaml.safe_load(text)
        except Exception as exc:
            mark = getattr(exc, "problem_mark", None)  # YAML's message spans 4-8 lines: one line with the place
            why = f"{exc.problem} at line {mark.line + 1}, column {mark.column + 1}" if mark and getattr(
                exc, "problem", None) else " ".join(str(exc).split())
            raise PolicyError(f"policy is not valid {'JSON' if suffix == '.json' else 'YAML'}: {why}") from None
        return cls.from_dict(data, base_dir)

    @property
    def targets(self) -> tuple[str, ...]:
        return tuple(self.rules)

    @property
    def anonymizers(self) -> dict:
        """label -> anonymizer, in drawing order."""
        return dict(self._anonymizers)

    def to_dict(self) -> dict:
        out = {label: self._anonymizers[label].describe() for label in self.rules}
        if self.zones:
            out["zones"] = [z.spec() for z in self.zones]
        if self.keep_faces:
            out["keep_faces"] = self.keep_faces
        return out

    def apply(self, frame: np.ndarray, dets: Detections) -> np.ndarray:
        out = frame
        for label, anonymizer in self._anonymizers.items():
            rows = dets[dets.labels == label]
            if len(rows):
                out = anonymizer.apply(out, rows)
        return out if out is not frame else frame.copy()

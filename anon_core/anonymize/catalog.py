"""Registry of anonymization methods; showcases may register more (e.g. synthetic face replacement)."""

from anon_core.anonymize.regions import Blur, Fill, Pixelate
from anon_core.registry import Registry

ANONYMIZERS = Registry("anonymization method")
ANONYMIZERS.register("blur", Blur, "strong gaussian blur")
ANONYMIZERS.register("pixelate", Pixelate, "mosaic of coarse blocks")
ANONYMIZERS.register("fill", Fill, "solid colour (nothing of the region survives)")

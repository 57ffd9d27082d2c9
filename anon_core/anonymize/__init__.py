"""Anonymization: region methods (blur, pixelate, fill), the method registry and privacy policies."""

from anon_core.anonymize.catalog import ANONYMIZERS
from anon_core.anonymize.policy import TARGETS, Policy, PolicyError, Rule
from anon_core.anonymize.regions import Blur, Fill, Pixelate, RegionAnonymizer, RegionStyle, obscure_frame

__all__ = ["ANONYMIZERS", "TARGETS", "Blur", "Fill", "Pixelate", "Policy", "PolicyError", "RegionAnonymizer",
           "RegionStyle", "Rule", "obscure_frame"]

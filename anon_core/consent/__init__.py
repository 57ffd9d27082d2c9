"""Consent list: faces of people who agreed to be shown stay visible; everyone else is anonymized.

    enrolment = enrol_folder("consent/")          # consent/<person>/*.jpg or consent/<person>_*.jpg
    pipeline = Pipeline(config, controls=[ConsentControl(enrolment)])

See enrol.py for the folder layout and control.py for the matching rule.
"""

from anon_core.consent.control import KEEP_DISTANCE, ConsentControl
from anon_core.consent.enrol import ConsentError, Enrolment, enrol_folder, enrol_folder_cached

__all__ = ["KEEP_DISTANCE", "ConsentControl", "ConsentError", "Enrolment", "enrol_folder", "enrol_folder_cached"]

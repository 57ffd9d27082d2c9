"""Sidebar section for zones and the consent list (anon_core/zones.py, anon_core/consent)."""

from __future__ import annotations

import hashlib

import streamlit as st

from anon_core.zones import ZoneError, parse_zone
from ui.inputs import safe_name, session_tempdir


def zones_and_consent(store: dict) -> None:
    """Render the section; valid zones go to store["zones"], the consent folder to store["keep_faces"]."""
    st.header("Zones and consent")
    text = st.text_area("Zones (one per line)", value="\n".join(store.get("zones", [])), key="anon_zones_text",
                        placeholder="always=0.7,0,1,0,1,0.4,0.7,0.4\nnever=10,20,200,20,200,300,10,300",
                        help="always= polygon always anonymized, never= never anonymized; pixels, or fractions "
                             "of the frame when every value <= 1.")
    zones = []
    for line in (v.strip() for v in text.splitlines()):
        if not line:
            continue
        try:
            parse_zone(line)
            zones.append(line)
        except ZoneError as exc:
            st.error(f"Zone not used: {exc}")
    store["zones"] = zones
    for z in zones:
        if z.startswith("never"):
            st.warning(f"Faces inside `{z}` are NOT anonymized.")
    photos = st.file_uploader("Consent list: photos of people who agreed to be shown (PERSON_anything.jpg)",
                              type=["jpg", "jpeg", "png", "webp"], accept_multiple_files=True,
                              key="anon_consent_upload",
                              help="One face per photo; the name up to the first '_' is the person. Their faces "
                                   "stay visible when matched confidently; everyone else is anonymized.")
    if photos:
        digest = hashlib.sha256(b"".join(p.name.encode() + p.getvalue() for p in photos)).hexdigest()[:16]
        folder = session_tempdir() / f"consent-{digest}"
        if not folder.is_dir():
            folder.mkdir(mode=0o700)
            for p in photos:
                (folder / safe_name(p.name)).write_bytes(p.getvalue())
        store["keep_faces"] = str(folder)
        st.info(f"Consent list: {len(photos)} photo(s) of "
                f"{len({safe_name(p.name).split('_')[0] for p in photos})} person(s).")
    else:
        store["keep_faces"] = None

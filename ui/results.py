"""One result per page and session, kept until its input or settings change (the pages' cache pattern).

    sig = results.signature(choice.token, settings...)     # anything JSON-able that changes the result
    state, stale = results.lookup(KEY, sig, choice.token)  # the stored result (None: nothing for this input)
    if (state is None or stale) and st.button("Run"):
        state, stale = results.put(KEY, sig, compute(), folder=out_dir, source=choice.token), False
    if stale: results.stale_note("Run")                    # shown, marked as made with earlier settings

A settings change keeps the result on screen (marked stale until the user reruns); only a new input
drops it and deletes its files (only files this session created, in its private temp folder).
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import streamlit as st

_PREFIX = "_anon_page_result_"


@dataclass
class Stored:
    signature: str
    value: Any
    folder: Path | None = None
    source: str | None = None  # the input it was made from


def signature(*parts: Any) -> str:
    return json.dumps(parts, sort_keys=True, default=str)


def lookup(key: str, sig: str, source: str | None) -> tuple[Any | None, bool]:
    """(value, stale): the result for this input, stale when its settings differ from `sig`."""
    old: Stored | None = st.session_state.get(_PREFIX + key)
    if old is None or old.source != source or (old.folder is not None and not old.folder.is_dir()):
        if old is not None:
            drop(key)
        return None, False
    return old.value, old.signature != sig


def stale_note(button: str) -> None:
    st.info(f"Settings changed since this result was made: it is still shown; press **{button}** to update it.",
            icon=":material/update:")


def put(key: str, sig: str, value: Any, folder: Path | None = None, source: str | None = None) -> Any:
    drop(key)
    st.session_state[_PREFIX + key] = Stored(sig, value, folder, source)
    return value


def drop(key: str) -> None:
    old: Stored | None = st.session_state.pop(_PREFIX + key, None)
    if old is not None and old.folder is not None:
        shutil.rmtree(old.folder, ignore_errors=True)

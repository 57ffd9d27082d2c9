"""Registries of interchangeable parts (detectors, anonymizers).

The CLI and the Streamlit sidebar both list what a registry holds and build parts by name, so
adding a plug-in means registering it once.  Factories are imported lazily: listing the
registry never loads a model or a heavy framework.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class UnknownPartError(KeyError):
    def __str__(self) -> str:  # KeyError quotes its message; we want plain text
        return str(self.args[0])


@dataclass(frozen=True)
class Entry(Generic[T]):
    name: str
    factory: str | Callable[..., T]  # "package.module:attr" or a callable
    info: Any = None

    def load(self) -> Callable[..., T]:
        if callable(self.factory):
            return self.factory
        module, _, attr = self.factory.partition(":")
        return getattr(importlib.import_module(module), attr)


class Registry(Generic[T]):
    def __init__(self, kind: str):
        self.kind = kind
        self._entries: dict[str, Entry[T]] = {}

    def register(self, name: str, factory: str | Callable[..., T], info: Any = None) -> None:
        self._entries[name] = Entry(name, factory, info)

    def names(self) -> list[str]:
        return list(self._entries)

    def __contains__(self, name: str) -> bool:
        return name in self._entries

    def entry(self, name: str) -> Entry[T]:
        try:
            return self._entries[name]
        except KeyError:
            raise UnknownPartError(
                f"unknown {self.kind} {name!r}; choose one of: {', '.join(self._entries)}"
            ) from None

    def info(self, name: str) -> Any:
        return self.entry(name).info

    def create(self, name: str, **options: Any) -> T:
        return self.entry(name).load()(**options)

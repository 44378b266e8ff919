"""Strict readers for settings taken from the environment.

Every reader refuses values it cannot interpret unambiguously, so a typo in a
deployment stops start-up with a message instead of silently changing behaviour.
Secrets can be given as files (``NAME_FILE``), the usual way to pass them to
containers and systemd units without putting them in the process environment.
"""

from __future__ import annotations

import builtins
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"true", "1"}
_FALSE = {"false", "0"}


class Env:
    """Reads typed values from a mapping (the process environment by default)."""

    def __init__(self, source: Mapping[builtins.str, builtins.str] | None = None) -> None:
        self.source = os.environ if source is None else source

    def _raw(self, name: builtins.str) -> builtins.str | None:
        value = self.source.get(name)
        if value is None:
            return None
        value = value.strip()
        return value or None

    def str(self, name: builtins.str, default: builtins.str | None = None) -> builtins.str | None:
        """A plain string; empty counts as unset."""
        value = self._raw(name)
        return default if value is None else value

    def required_str(
        self, name: builtins.str, default: builtins.str | None, *, required: builtins.bool
    ) -> builtins.str:
        """A string that must be set when ``required`` (production)."""
        value = self._raw(name)
        if value is not None:
            return value
        if required or default is None:
            raise ImproperlyConfigured(f"{name} must be set.")
        return default

    def bool(self, name: builtins.str, default: builtins.bool) -> builtins.bool:
        """``true``/``false`` (or ``1``/``0``), case-insensitive; anything else is an error."""
        value = self._raw(name)
        if value is None:
            return default
        lowered = value.lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise ImproperlyConfigured(f"{name} must be 'true' or 'false', not {value!r}.")

    def int(
        self,
        name: builtins.str,
        default: builtins.int,
        *,
        minimum: builtins.int | None = None,
        maximum: builtins.int | None = None,
    ) -> builtins.int:
        """A base-10 integer, optionally bounded."""
        value = self._raw(name)
        if value is None:
            return default
        if not re.fullmatch(r"[+-]?\d+", value):
            raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}.")
        number = int(value)
        if minimum is not None and number < minimum:
            raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {number}.")
        if maximum is not None and number > maximum:
            raise ImproperlyConfigured(f"{name} must be at most {maximum}, not {number}.")
        return number

    def choice(self, name: builtins.str, default: builtins.str, choices: Sequence[builtins.str]) -> builtins.str:
        """One of a fixed set of words (exact, lower case)."""
        value = self._raw(name)
        if value is None:
            return default
        if value not in choices:
            allowed = ", ".join(choices)
            raise ImproperlyConfigured(f"{name} must be one of {allowed}; got {value!r}.")
        return value

    def list(self, name: builtins.str, default: Sequence[builtins.str] = ()) -> builtins.list[builtins.str]:
        """A comma-separated list; empty items are an error (a stray comma is a typo)."""
        value = self._raw(name)
        if value is None:
            return list(default)
        items = [item.strip() for item in value.split(",")]
        if any(not item for item in items):
            raise ImproperlyConfigured(f"{name} has an empty item: {value!r}.")
        return items

    def secret(
        self, name: builtins.str, default: builtins.str | None = None, *, required: builtins.bool = False
    ) -> builtins.str | None:
        """A secret from ``NAME_FILE`` (preferred) or ``NAME``; both set is ambiguous."""
        direct = self._raw(name)
        file_name = self._raw(f"{name}_FILE")
        if direct is not None and file_name is not None:
            raise ImproperlyConfigured(f"Set {name} or {name}_FILE, not both.")
        if file_name is not None:
            path = Path(file_name)
            try:
                content = path.read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise ImproperlyConfigured(f"{name}_FILE: cannot read {file_name}: {exc.strerror}.") from exc
            if not content:
                raise ImproperlyConfigured(f"{name}_FILE: {file_name} is empty.")
            return content
        if direct is not None:
            return direct
        if required:
            raise ImproperlyConfigured(f"{name} (or {name}_FILE) must be set.")
        return default


@dataclass(frozen=True)
class Database:
    """A parsed ``DATABASE_URL``."""

    engine: str
    name: str
    user: str = ""
    password: str = ""
    host: str = ""
    port: str = ""
    options: tuple[tuple[str, str], ...] = ()


_ENGINES = {
    "sqlite": "django.db.backends.sqlite3",
    "postgres": "django.db.backends.postgresql",
    "postgresql": "django.db.backends.postgresql",
}


def parse_database_url(url: str) -> Database:
    """Parse ``sqlite:///relative/or//absolute/path`` or ``postgres://user:pw@host:port/name``."""
    parts = urlsplit(url)
    engine = _ENGINES.get(parts.scheme)
    if engine is None:
        raise ImproperlyConfigured(f"DATABASE_URL scheme must be sqlite or postgres, not {parts.scheme or 'empty'!r}.")
    if parts.scheme == "sqlite":
        # sqlite:///var/db.sqlite3 is relative; sqlite:////srv/db.sqlite3 is absolute.
        path = unquote(parts.path[1:] if parts.path.startswith("/") else parts.path)
        if parts.netloc or not path:
            raise ImproperlyConfigured("DATABASE_URL for SQLite must look like sqlite:///path/to/file.sqlite3.")
        return Database(engine=engine, name=path)
    name = unquote(parts.path.lstrip("/"))
    if not name:
        raise ImproperlyConfigured("DATABASE_URL for PostgreSQL must name a database.")
    try:
        port = str(parts.port or "")
    except ValueError as exc:
        raise ImproperlyConfigured("DATABASE_URL has an invalid port.") from exc
    return Database(
        engine=engine,
        name=name,
        user=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        host=parts.hostname or "",
        port=port,
        options=tuple(parse_qsl(parts.query)),
    )


NODE_ID_PATTERN = re.compile(r"^[A-Z]{2}-[A-Z0-9]{2,10}$|^[A-Z0-9]{2,8}-HUB$")


def validate_node_id(value: str) -> str:
    """Office ids are ISO 3166 alpha-2 + office code (``SV-FGR``); the hub's ends in ``-HUB``."""
    if not NODE_ID_PATTERN.fullmatch(value):
        raise ImproperlyConfigured(
            f"VINCULO_NODE_ID must look like SV-FGR (country code, dash, office code) or CCCMP-HUB; got {value!r}."
        )
    return value

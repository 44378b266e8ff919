"""Small model building blocks shared by modules (no tables of their own)."""

from __future__ import annotations

from django.utils import translation


class BilingualName:
    """Mixin for models with ``name_es`` and ``name_en``: ``name`` in the active language.

    Spanish is shown unless English is active (the network's working language is Spanish).
    """

    name_es: str
    name_en: str

    @property
    def name(self) -> str:
        return self.name_en if translation.get_language() == "en" else self.name_es

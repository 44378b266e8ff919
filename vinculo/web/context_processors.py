"""What every page's shell needs: the node, the demo flag and the navigation."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import translation
from django.utils.functional import SimpleLazyObject

import vinculo
from vinculo.accounts.models import Office
from vinculo.web.navigation import navigation_for


@lru_cache(maxsize=4)
def _office_names(node_id: str) -> tuple[str, str] | None:
    # Office names come from the shipped data file and have no editing page, so one lookup per
    # process spares every page a query.
    office = Office.objects.filter(code=node_id).first()
    return (office.name_es, office.name_en) if office else None


def _office_name() -> str:
    names = _office_names(settings.NODE_ID)
    if names is None:
        _office_names.cache_clear()  # not loaded yet (a fresh database): ask again next time
        return settings.NODE_ID
    return names[1] if translation.get_language() == "en" else names[0]


def shell(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    navigation: Any = []
    if user is not None and user.is_authenticated:
        navigation = SimpleLazyObject(lambda: navigation_for(user, request.path))
    return {
        "shell": {
            "node_id": settings.NODE_ID,
            "is_hub": settings.NODE_ROLE == "hub",
            "demo_mode": settings.DEMO_MODE,
            "version": vinculo.__version__,
            "office_name": SimpleLazyObject(_office_name),
            "navigation": navigation,
        }
    }

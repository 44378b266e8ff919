"""What every page's shell needs: the node, the demo flag and the navigation."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

import vinculo
from vinculo.accounts.models import Office
from vinculo.web.navigation import navigation_for


def _office_name() -> str:
    office = Office.objects.filter(code=settings.NODE_ID).first()
    return office.name if office else settings.NODE_ID


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

"""How the delivery pages put codes and durations into words."""

from __future__ import annotations

from django import template
from django.utils.translation import ngettext

from vinculo.messaging.refusal_codes import refusal_label

register = template.Library()


@register.filter
def refusal_words(code: str) -> str:
    return refusal_label(code)


@register.filter
def duration(seconds: int) -> str:
    """Seconds in the largest whole unit: "8 hours", "3 days", "90 seconds"."""
    value = int(seconds)
    if value and value % 86400 == 0:
        days = value // 86400
        return ngettext("%(count)d day", "%(count)d days", days) % {"count": days}
    if value and value % 3600 == 0:
        hours = value // 3600
        return ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours}
    if value and value % 60 == 0:
        minutes = value // 60
        return ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}
    return ngettext("%(count)d second", "%(count)d seconds", value) % {"count": value}

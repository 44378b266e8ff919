from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MatchingConfig(AppConfig):
    name = "vinculo.matching"
    label = "matching"
    verbose_name = _("Hit/no-hit")

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "vinculo.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from vinculo.accounts.offices import ensure_offices

        post_migrate.connect(ensure_offices, sender=self, dispatch_uid="vinculo.accounts.ensure_offices")

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class ReferenceConfig(AppConfig):
    name = "vinculo.reference"
    label = "reference"
    verbose_name = _("Reference data")

    def ready(self) -> None:
        from vinculo.reference.loading import sync_after_migrate

        post_migrate.connect(sync_after_migrate, sender=self, dispatch_uid="vinculo.reference.sync")

from collections.abc import Callable
from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "vinculo.cases"
    label = "cases"
    verbose_name = _("Case registry")

    def ready(self) -> None:
        from vinculo.cases.models import CaseDocument, PersonIdentity
        from vinculo.vault import keys

        def context_of(field: str) -> Callable[[Any], str]:
            return lambda row: PersonIdentity.context(row.person_id, field)

        for field in PersonIdentity.SEALED_FIELDS:
            keys.register(keys.VaultField(model=lambda: PersonIdentity, field=field, context=context_of(field)))
        keys.register(
            keys.VaultField(
                model=lambda: CaseDocument,
                field="file_name",
                context=lambda row: CaseDocument.context(row.pk, "file_name"),
            )
        )
        keys.register(
            keys.VaultField(
                model=lambda: CaseDocument,
                field="content",
                context=lambda row: CaseDocument.context(row.pk, "content"),
                batch=5,
            )
        )

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MessagingConfig(AppConfig):
    name = "vinculo.messaging"
    label = "messaging"
    verbose_name = _("Message delivery")

    def ready(self) -> None:
        from vinculo.messaging import heads  # noqa: F401 - registers the evidence-head handler
        from vinculo.messaging.models import InboundAttachment, InboundMessage, OutboundMessage
        from vinculo.vault import keys

        # Contents wait sealed in the vault; a key rotation re-seals them like identities.
        keys.register(
            keys.VaultField(
                model=lambda: OutboundMessage,
                field="payload",
                context=lambda row: OutboundMessage.context(row.pk),
                batch=50,
            )
        )
        keys.register(
            keys.VaultField(
                model=lambda: InboundMessage,
                field="payload",
                context=lambda row: InboundMessage.context(row.sender, row.message_id),
                batch=50,
            )
        )
        keys.register(
            keys.VaultField(
                model=lambda: InboundMessage,
                field="signed",
                context=lambda row: InboundMessage.signed_context(row.sender, row.message_id),
                batch=50,
            )
        )
        keys.register(
            keys.VaultField(
                model=lambda: InboundAttachment,
                field="content_key",
                context=lambda row: InboundAttachment.context(row.sender, row.blob),
            )
        )

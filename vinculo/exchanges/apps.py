from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExchangesConfig(AppConfig):
    name = "vinculo.exchanges"
    label = "exchanges"
    verbose_name = _("Exchanges under the MoU")

    def ready(self) -> None:
        from django.conf import settings
        from django.utils import timezone

        from vinculo.exchanges import wire
        from vinculo.exchanges.models import Answer, Broadcast, InformationRequest, RequestEvent, TeamItem
        from vinculo.exchanges.services import broadcasts, consents, deadlines, requests, teams
        from vinculo.messaging import handlers, periodic
        from vinculo.vault import keys

        handlers.register(wire.REQUEST, requests.receive_request, on_delivered=requests.request_delivered)
        for message_type in {*wire.STEP_TYPES.values(), wire.REMINDER, wire.CLARIFICATION} - {wire.REQUEST}:
            handlers.register(message_type, requests.receive_step)

        for message_type in wire.BROADCAST_TYPES.values():
            handlers.register(
                message_type,
                broadcasts.receive_broadcast,
                on_delivered=broadcasts.broadcast_delivered,
                on_given_up=broadcasts.broadcast_undelivered,
            )
        for message_type in wire.ACKNOWLEDGEMENT_TYPES.values():
            handlers.register(message_type, broadcasts.receive_acknowledgement)

        handlers.register(teams.TEAM_MESSAGE, teams.receive)
        handlers.register(consents.CONSENT_REQUEST, consents.receive_consent_request)
        handlers.register(consents.CONSENT_ANSWER, consents.receive_consent_answer)

        # The delivery worker reminds and escalates what is due (VINCULO_DEADLINE_CHECK_SECONDS; 0: never).
        periodic.register(
            "exchanges.deadlines",
            lambda: deadlines.check_deadlines(now=timezone.now()),
            every_seconds=lambda: settings.DEADLINE_CHECK_SECONDS,
        )

        # What may name people is sealed in the vault; a key rotation re-seals it like identities.
        keys.register(
            keys.VaultField(
                model=lambda: InformationRequest,
                field="content",
                context=lambda row: InformationRequest.context(row.pk),
            )
        )
        keys.register(
            keys.VaultField(model=lambda: Answer, field="content", context=lambda row: Answer.context(row.pk))
        )
        keys.register(
            keys.VaultField(
                model=lambda: RequestEvent, field="note", context=lambda row: RequestEvent.context(row.request_id)
            )
        )
        keys.register(
            keys.VaultField(model=lambda: Broadcast, field="content", context=lambda row: Broadcast.context(row.pk))
        )
        keys.register(
            keys.VaultField(model=lambda: TeamItem, field="content", context=lambda row: TeamItem.context(row.pk))
        )

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MatchingConfig(AppConfig):
    name = "vinculo.matching"
    label = "matching"
    verbose_name = _("Hit/no-hit")

    def ready(self) -> None:
        from django.conf import settings

        from vinculo.exchanges import hooks
        from vinculo.matching import wire
        from vinculo.matching.services import crossmatch, index, keys, queries
        from vinculo.messaging import handlers, periodic

        handlers.register(wire.QUERY, queries.receive_query, on_given_up=queries.query_undelivered)
        handlers.register(wire.ANSWER, queries.receive_answer)
        handlers.register(wire.HIT_STATUS, queries.receive_hit_status)
        handlers.register(wire.KEY, keys.receive_key)
        handlers.register(wire.CROSSMATCH_UPLOAD, crossmatch.receive_upload)
        handlers.register(wire.CROSSMATCH_NOTICE, crossmatch.receive_notices)
        hooks.cited_hit_checks.append(queries.check_cited_hit)
        hooks.answer_checks.append(queries.check_answerable)
        # The delivery worker keeps the index current (VINCULO_MATCH_INDEX_SECONDS; 0: never).
        periodic.register(
            "matching.index",
            index.refresh_this_office,
            every_seconds=lambda: 0 if settings.NODE_ROLE == "hub" else settings.MATCH_INDEX_SECONDS,
        )
        # Offices upload their encodings when the index changed; the hub cross-matches new uploads.
        periodic.register(
            "matching.crossmatch_upload",
            crossmatch.upload_if_changed,
            every_seconds=lambda: 0 if settings.NODE_ROLE == "hub" else settings.MATCH_CROSSMATCH_SECONDS,
        )
        periodic.register(
            "matching.crossmatch_run",
            crossmatch.run_if_new_uploads,
            every_seconds=lambda: settings.MATCH_CROSSMATCH_SECONDS if settings.NODE_ROLE == "hub" else 0,
        )

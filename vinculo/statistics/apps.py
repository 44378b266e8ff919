from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

MONTHLY_CHECK_SECONDS = 3600  # how often the delivery worker asks whether this month's report is due
AGGREGATES_CHECK_SECONDS = 3600  # ... and whether the aggregates are more than a day old


class StatisticsConfig(AppConfig):
    name = "vinculo.statistics"
    label = "statistics"
    verbose_name = _("Statistics")

    def ready(self) -> None:
        from vinculo.messaging import handlers, periodic
        from vinculo.statistics import reports
        from vinculo.statistics.services import reports as report_services

        # The hub keeps the offices' reports; an office node refuses them (the handler checks the role).
        handlers.register(reports.MESSAGE_TYPE, report_services.receive_report)
        # Offices count their cases once a day and send a report each month, through the delivery worker.
        periodic.register(
            "statistics.aggregates",
            lambda: report_services.refresh_aggregates(),
            every_seconds=lambda: AGGREGATES_CHECK_SECONDS,
        )
        periodic.register(
            "statistics.monthly_report",
            lambda: report_services.send_monthly_report(),
            every_seconds=lambda: MONTHLY_CHECK_SECONDS,
        )

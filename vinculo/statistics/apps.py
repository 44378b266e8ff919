from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

MONTHLY_CHECK_SECONDS = 3600  # how often the delivery worker asks whether this month's report is due


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
        # Offices send a report each month, counted afresh, through the delivery worker.
        periodic.register(
            "statistics.monthly_report",
            lambda: report_services.send_monthly_report(),
            every_seconds=lambda: MONTHLY_CHECK_SECONDS,
        )

"""Background work of the directory: refresh it from the hub when due (safe to run twice, or on the hub)."""

from __future__ import annotations

from django.tasks import task

from vinculo.federation.services import node


@task()
def refresh_directory_if_due() -> int | None:
    """Fetch the directory when ``VINCULO_DIRECTORY_REFRESH_MINUTES`` have passed; the version held after, or None.

    A periodic loop (the outbox worker, once a minute) may call ``node.refresh_if_due()`` directly instead.
    """
    result = node.refresh_if_due()
    return result.directory.version if result is not None else None

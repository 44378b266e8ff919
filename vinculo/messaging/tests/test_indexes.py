"""The indexes the busy reads rely on exist, and the rate limiter's count uses its own."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection, models
from django.utils import timezone

from vinculo.messaging.models import OutboundMessage, RefusedEnvelope


def _indexes(model: type[models.Model]) -> dict[str, list[str]]:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, model._meta.db_table)
    return {name: found["columns"] for name, found in constraints.items() if found["index"]}


@pytest.mark.django_db
def test_refusals_are_indexed_by_address_and_time_and_sent_messages_by_creation() -> None:
    assert _indexes(RefusedEnvelope)["refused_by_address"] == ["remote_address", "refused_at"]
    assert _indexes(OutboundMessage)["outbox_created"] == ["created_at"]


@pytest.mark.django_db
def test_the_rate_limiter_s_count_reads_the_address_index() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL's planner scans a table this small whatever its indexes")
    now = timezone.now()
    counted = RefusedEnvelope.objects.filter(remote_address="203.0.113.66", refused_at__gte=now - timedelta(minutes=1))
    assert "refused_by_address" in counted.order_by().explain()

"""What a person is told in the app (and by e-mail for what cannot wait): one row per person and event.

A notification keeps its kind and a few plain facts (a subject label, an office), never case or
exchange content; its words are chosen when it is shown, in the reader's language.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone


class Notification(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=40)
    facts = models.JSONField(default=dict, blank=True)  # {"subject": …, "office": …}: labels only
    link = models.CharField(max_length=300, blank=True)  # a path on this node
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed = models.BooleanField(default=False)

    class Meta:
        ordering: ClassVar = ["-created_at", "-id"]
        indexes: ClassVar = [models.Index(fields=["user", "read_at"], name="notification_unread")]

    def __str__(self) -> str:
        return f"{self.kind} → {self.user_id}"

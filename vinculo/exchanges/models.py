"""Information requests between offices under the MoU, and what happened to each of them.

Each office keeps its own copy of a request (``side``: outgoing where it asked, incoming where
it was asked), under the same id on both nodes. The subject is a short label meant to carry no
personal data; everything that may (the text, the requested items, the answers) is sealed in
the identity vault and opened for the people who may read it. Every step is kept in the
request's timeline with the signed message that carried it.
"""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vinculo.accounts.models import Office
from vinculo.exchanges.lifecycle import Side, State, Step, Urgency


class RequestType(models.TextChoices):
    IDENTIFICATION = "identification", _("Identification of a person")
    CRIMINAL_RECORD = "criminal_record", _("Criminal record")
    MIGRATION = "migration_movements", _("Migration movements")
    PHONE = "phone_subscriber", _("Phone subscriber")
    FINANCIAL = "financial", _("Financial information")
    VICTIM = "victim_status", _("Victim's whereabouts or status")
    OTHER = "other", _("Other")


class RefusalReason(models.TextChoices):
    NO_LEGAL_BASIS = "no_legal_basis", _("No legal basis under national law")
    NEEDS_MLA = "needs_mla", _("Needs a formal mutual legal assistance request")
    NOT_HELD = "not_held", _("The office does not hold this information")
    ENDANGERS = "endangers", _("Would endanger a person or an investigation")
    DISPROPORTIONATE = "disproportionate", _("Disproportionate to the stated purpose")
    OTHER = "other", _("Other reason (explained)")


class InformationRequest(models.Model):
    STATE_LABELS: ClassVar = {
        State.DRAFT: _("Draft"),
        State.SENT: _("Sent"),
        State.DELIVERED: _("Delivered"),
        State.ACKNOWLEDGED: _("Acknowledged"),
        State.IN_PROGRESS: _("In progress"),
        State.ANSWERED_PARTIAL: _("Partly answered"),
        State.ANSWERED: _("Answered"),
        State.REFUSED: _("Refused"),
        State.WITHDRAWN: _("Withdrawn"),
    }
    URGENCY_LABELS: ClassVar = {
        Urgency.URGENT: _("Urgent"),
        Urgency.PRIORITY: _("Priority"),
        Urgency.NORMAL: _("Normal"),
    }

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)  # this copy, on this node
    exchange_id = models.UUIDField(default=uuid.uuid4, editable=False)  # the request, on both nodes
    side = models.CharField(max_length=8, choices=[(s.value, s.value) for s in Side])
    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="+", verbose_name=_("office"))
    counterpart = models.CharField(_("other office"), max_length=32, db_index=True)
    request_type = models.CharField(_("kind of request"), max_length=24, choices=RequestType.choices)
    subject = models.CharField(
        _("subject"), max_length=160, help_text=_("A short label for lists. Write no names or identifiers here.")
    )
    legal_basis = models.CharField(_("legal basis"), max_length=300)
    urgency = models.CharField(
        _("urgency"), max_length=8, choices=[(u.value, label) for u, label in URGENCY_LABELS.items()]
    )
    content = models.TextField(blank=True)  # vault token: {"text", "items", "purpose", "conditions"}
    language = models.CharField(_("language of the text"), max_length=2, default="es")
    handling = models.JSONField(_("handling codes"), default=list, blank=True)
    evaluation = models.CharField(_("source and information evaluation"), max_length=2, blank=True)
    # The hit/no-hit reference the request follows up (step two of a hit), "" for any other request.
    hit_reference = models.CharField(_("hit reference"), max_length=64, blank=True, db_index=True)
    case = models.ForeignKey(
        "cases.Case", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("case")
    )
    state = models.CharField(
        _("state"), max_length=16, choices=[(s.value, label) for s, label in STATE_LABELS.items()], default=State.DRAFT
    )
    deadline_seconds = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    due_at = models.DateTimeField(_("due"), null=True, blank=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    refusal_reason = models.CharField(max_length=20, choices=RefusalReason.choices, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering: ClassVar = ["-created_at"]
        constraints: ClassVar = [
            # Both copies of a request can live in one database (tests, or two offices on one node
            # in a laboratory); one copy per side.
            models.UniqueConstraint(fields=["exchange_id", "side"], name="one_copy_per_side"),
        ]
        indexes: ClassVar = [models.Index(fields=["office", "side", "state"], name="request_desk")]
        verbose_name = _("information request")
        verbose_name_plural = _("information requests")

    def __str__(self) -> str:
        return f"{self.subject} ({self.counterpart}, {self.state})"

    @staticmethod
    def context(request_pk: uuid.UUID | str) -> str:
        return f"exchanges.request:{request_pk}:content"


class RequestEvent(models.Model):
    """One step in a request's life on this node, with the signed message that carried it."""

    request = models.ForeignKey(InformationRequest, on_delete=models.CASCADE, related_name="events")
    step = models.CharField(max_length=24)  # a lifecycle Step, or "reminder", "escalation", "clarification"
    state_after = models.CharField(max_length=16)
    changed_state = models.BooleanField(default=True)
    by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    by_member = models.CharField(max_length=32, blank=True)  # the counterpart, for steps that arrived
    message_id = models.UUIDField(null=True, blank=True)  # the envelope sent or received
    note = models.TextField(blank=True)  # vault token when it holds free text
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.request_id} {self.step} → {self.state_after}"

    @staticmethod
    def context(request_pk: uuid.UUID | str) -> str:
        return f"exchanges.event:{request_pk}:note"

    @property
    def is_remote(self) -> bool:
        return bool(self.by_member)

    @property
    def step_enum(self) -> Step | None:
        try:
            return Step(self.step)
        except ValueError:
            return None


class Answer(models.Model):
    """What the requested office gave: in parts, the last one complete."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    answer_id = models.UUIDField(default=uuid.uuid4, editable=False)  # the same on both nodes
    request = models.ForeignKey(InformationRequest, on_delete=models.CASCADE, related_name="answers")
    is_complete = models.BooleanField(_("complete answer"), default=False)
    content = models.TextField()  # vault token: {"text"}
    language = models.CharField(max_length=2, default="es")
    handling = models.JSONField(default=list, blank=True)
    evaluation = models.CharField(max_length=2, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    message_id = models.UUIDField(null=True, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["at"]
        constraints: ClassVar = [models.UniqueConstraint(fields=["request", "answer_id"], name="one_answer_per_id")]

    def __str__(self) -> str:
        return f"answer {self.id} to {self.request_id}"

    @staticmethod
    def context(answer_pk: uuid.UUID | str) -> str:
        return f"exchanges.answer:{answer_pk}:content"


class BroadcastKind(models.TextChoices):
    INFORMATION = "information", _("Spontaneous information")
    ALERT = "alert", _("Alert")


class AlertCategory(models.TextChoices):
    CHILD_AT_RISK = "child_at_risk", _("A child possibly being trafficked")
    VICTIM_MOVED = "victim_moved", _("A victim being moved across a border")
    SUSPECT_MOVEMENT = "suspect_movement", _("A suspect travelling")
    ROUTE = "route", _("A new route or modus operandi")
    OTHER = "other", _("Other")


class Broadcast(models.Model):
    """Spontaneous information or an alert: sent to one, several or every office, acknowledged by each.

    The sending office keeps one record with a row per recipient; each receiving office keeps
    its own incoming copy, under the same ``exchange_id``.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    exchange_id = models.UUIDField(default=uuid.uuid4, editable=False)
    kind = models.CharField(_("kind"), max_length=12, choices=BroadcastKind.choices)
    side = models.CharField(max_length=8, choices=[(s.value, s.value) for s in Side])
    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="+", verbose_name=_("office"))
    origin = models.CharField(_("from"), max_length=32, blank=True)  # the sending office, on an incoming copy
    category = models.CharField(_("category"), max_length=20, choices=AlertCategory.choices, blank=True)
    subject = models.CharField(
        _("subject"), max_length=160, help_text=_("A short label for lists. Write no names or identifiers here.")
    )
    content = models.TextField(blank=True)  # vault token: {"text", "purpose", "conditions"}
    language = models.CharField(_("language of the text"), max_length=2, default="es")
    handling = models.JSONField(_("handling codes"), default=list, blank=True)
    evaluation = models.CharField(_("source and information evaluation"), max_length=2, blank=True)
    case = models.ForeignKey(
        "cases.Case", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("case")
    )
    recipients_named = models.JSONField(default=list, blank=True)  # every office it went to, as the sender listed them
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    sent_at = models.DateTimeField(_("sent"), default=timezone.now)
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)  # incoming copy
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering: ClassVar = ["-sent_at"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["exchange_id", "side", "office"], name="one_broadcast_copy_per_office"),
        ]
        verbose_name = _("spontaneous information or alert")
        verbose_name_plural = _("spontaneous information and alerts")

    def __str__(self) -> str:
        return f"{self.kind}: {self.subject}"

    @staticmethod
    def context(broadcast_pk: uuid.UUID | str) -> str:
        return f"exchanges.broadcast:{broadcast_pk}:content"


class BroadcastRecipient(models.Model):
    """One office a broadcast went to, with the proof it arrived and when it was acknowledged."""

    broadcast = models.ForeignKey(Broadcast, on_delete=models.CASCADE, related_name="recipients")
    member = models.CharField(_("office"), max_length=32)
    message_id = models.UUIDField()
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    failed = models.BooleanField(default=False)

    class Meta:
        ordering: ClassVar = ["member"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["broadcast", "member"], name="one_row_per_recipient"),
        ]

    def __str__(self) -> str:
        return f"{self.broadcast_id} → {self.member}"


class ConsentRequest(models.Model):
    """A holder asks the provider of an item to lift a handling code: H1 (use as evidence) or H2
    (pass it on to one named office). The holder's copy is outgoing, the provider's incoming."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for the provider")
        GRANTED = "granted", _("Granted")
        REFUSED = "refused", _("Refused")

    class ItemKind(models.TextChoices):
        ANSWER = "answer", _("Answer to a request")
        BROADCAST = "broadcast", _("Spontaneous information or alert")

    KIND_LABELS: ClassVar = {
        "evidence": _("Use as evidence (lifts H1)"),
        "onward": _("Pass on to another office (lifts H2)"),
    }

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    consent_id = models.UUIDField(default=uuid.uuid4, editable=False)  # the same on both nodes
    side = models.CharField(max_length=8, choices=[(s.value, s.value) for s in Side])
    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="+")
    counterpart = models.CharField(max_length=32)  # the provider (outgoing) or the holder (incoming)
    item_kind = models.CharField(max_length=10, choices=ItemKind.choices)
    item_id = models.UUIDField()  # the answer's answer_id, or the broadcast's exchange_id
    item_subject = models.CharField(max_length=160)
    kind = models.CharField(max_length=10, choices=[(k, label) for k, label in KIND_LABELS.items()])
    recipient = models.CharField(_("office to pass it on to"), max_length=32, blank=True)
    reason = models.TextField(_("reason"))
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    answer_note = models.TextField(blank=True)
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    asked_at = models.DateTimeField(default=timezone.now)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["-asked_at"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["consent_id", "side", "office"], name="one_consent_copy_per_office"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.item_kind}:{self.item_id} ({self.status})"


class JointTeam(models.Model):
    """A workspace two or more offices share for one transnational case; every member node keeps its own copy."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    team_id = models.UUIDField(default=uuid.uuid4, editable=False)  # the same on every member's node
    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="+")  # whose copy this is
    lead = models.CharField(_("lead office"), max_length=32)
    name = models.CharField(_("name"), max_length=160, help_text=_("Write no names of people here."))
    members = models.JSONField(default=list)  # member ids, the lead included, in the order they joined
    # On the copy of an office added later: how many earlier items the handling codes kept from it.
    withheld_items = models.PositiveIntegerField(default=0)
    case = models.ForeignKey(
        "cases.Case", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("case")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["-created_at"]
        constraints: ClassVar = [models.UniqueConstraint(fields=["team_id", "office"], name="one_team_copy_per_office")]
        verbose_name = _("joint team")
        verbose_name_plural = _("joint teams")

    def __str__(self) -> str:
        return self.name


class TeamItem(models.Model):
    """A post in the team's thread, a document, or a task; each written by one office and copied to the others."""

    class Kind(models.TextChoices):
        POST = "post", _("Message")
        DOCUMENT = "document", _("Document")
        TASK = "task", _("Task")

    class TaskStatus(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Done")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    item_id = models.UUIDField(default=uuid.uuid4, editable=False)
    team = models.ForeignKey(JointTeam, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    author_office = models.CharField(max_length=32)
    author_name = models.CharField(max_length=150)  # as the author's office signed it
    content = models.TextField()  # vault token: {"text"} (a task's title in "text")
    language = models.CharField(max_length=2, default="es")
    handling = models.JSONField(default=list, blank=True)
    # A document's file: its name, SHA-256, size and type; on the members that received it with the
    # item, the verified attachment (the author keeps the original in its own systems, and an office
    # that joins later gets the entry without the file).
    file_name = models.CharField(max_length=255, blank=True)
    file_sha256 = models.CharField(max_length=64, blank=True)
    file_size = models.PositiveBigIntegerField(default=0)
    file_media_type = models.CharField(max_length=127, blank=True)
    attachment = models.ForeignKey(
        "messaging.InboundAttachment", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    task_owner_office = models.CharField(max_length=32, blank=True)
    task_due_on = models.DateField(null=True, blank=True)
    task_status = models.CharField(max_length=6, choices=TaskStatus.choices, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["at"]
        constraints: ClassVar = [models.UniqueConstraint(fields=["team", "item_id"], name="one_item_copy_per_team")]

    def __str__(self) -> str:
        return f"{self.kind} {self.item_id} in {self.team_id}"

    @staticmethod
    def context(item_pk: uuid.UUID | str) -> str:
        return f"exchanges.team_item:{item_pk}:content"


class ExchangeFile(models.Model):
    """A file that came with a request or an answer.

    On the receiving node it is the message's verified attachment (kept encrypted in the node's
    attachment store, opened as a stream); on the sending node only what was sent is recorded
    (the sender keeps the original in its own systems).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    request = models.ForeignKey(InformationRequest, on_delete=models.CASCADE, related_name="files")
    answer = models.ForeignKey(Answer, on_delete=models.CASCADE, null=True, blank=True, related_name="files")
    name = models.CharField(_("file name"), max_length=255)
    media_type = models.CharField(_("media type"), max_length=127)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    attachment = models.ForeignKey(
        "messaging.InboundAttachment", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["created_at", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_received(self) -> bool:
        return self.attachment_id is not None

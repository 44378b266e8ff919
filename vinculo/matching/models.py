"""Hit/no-hit: the network match key, the office's index of encodings, queries and their answers,
hits waiting for the focal point, and the hub's cross-match.

Nothing here holds a name, a number or a date in clear. The index keeps keyed, hardened Bloom
filters and keyed identifier tokens (``vinculo.linkage``); what a person asked is sealed in the
identity vault for the asker's own office; the hub keeps only the encodings offices upload and
opaque references.
"""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vinculo.accounts.models import Office


class MatchKey(models.Model):
    """The network match key, sealed in the vault; one in use, and a key another member sent waits until accepted."""

    class State(models.TextChoices):
        ACTIVE = "active", _("In use")
        OFFERED = "offered", _("Offered, not accepted")
        RETIRED = "retired", _("Retired")

    fingerprint = models.CharField(max_length=32, unique=True)  # HMAC-SHA256 of a fixed label under the key, hex
    sealed_key = models.TextField()  # vault token
    state = models.CharField(max_length=8, choices=State.choices)
    source = models.CharField(max_length=32, blank=True)  # "" generated here, else the member that sent it
    created_at = models.DateTimeField(default=timezone.now)
    activated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["state"], condition=models.Q(state="active"), name="one_active_match_key"),
        ]

    def __str__(self) -> str:
        return f"match key {self.fingerprint} ({self.state})"

    @staticmethod
    def context(fingerprint: str) -> str:
        return f"matching.matchkey:{fingerprint}"


class IndexEntry(models.Model):
    """One person of the case registry as the index holds them: an encoding, never a name.

    ``is_suspect``: the person is a suspect, defendant or accused in at least one case;
    ``is_victim``: a victim or smuggled migrant in at least one. Witnesses and complainants are
    not indexed. ``stamp`` sums up what the encoding was made from, so a refresh re-encodes only
    people whose record changed.
    """

    person = models.OneToOneField("cases.Person", on_delete=models.CASCADE, related_name="match_entry")
    scheme = models.CharField(max_length=64)
    key_fingerprint = models.CharField(max_length=32)
    bloom = models.BinaryField()
    fields = models.PositiveSmallIntegerField()
    is_suspect = models.BooleanField(default=False)
    is_victim = models.BooleanField(default=False)
    stamp = models.CharField(max_length=64)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"index entry of {self.person_id}"


class IndexToken(models.Model):
    """A keyed token of one exact identifier (phone, document, plate…) of an indexed person."""

    entry = models.ForeignKey(IndexEntry, on_delete=models.CASCADE, related_name="tokens")
    kind = models.CharField(max_length=12)
    token = models.CharField(max_length=64)

    class Meta:
        indexes: ClassVar = [models.Index(fields=["token"], name="match_token_lookup")]
        constraints: ClassVar = [models.UniqueConstraint(fields=["entry", "token"], name="one_token_per_entry")]

    def __str__(self) -> str:
        return f"{self.kind} token of {self.entry_id}"


class IndexState(models.Model):
    """One row: the index's generation, moved on by every change, so each process knows when its copy is stale."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    generation = models.PositiveBigIntegerField(default=0)
    refreshed_at = models.DateTimeField(null=True, blank=True)
    uploaded_generation = models.PositiveBigIntegerField(null=True, blank=True)  # last sent to the cross-match

    def __str__(self) -> str:
        return f"index generation {self.generation}"


class Purpose(models.TextChoices):
    INVESTIGATION = "investigation", _("Investigation of a suspect")
    VICTIM_WHEREABOUTS = "victim_whereabouts", _("A victim's whereabouts or status")


class QueryKind(models.TextChoices):
    PERSON = "person", _("Person")
    PHONE = "phone", _("Phone number")
    DOCUMENT = "document", _("Identity document or passport")
    VEHICLE = "vehicle", _("Vehicle plate")


class Decision(models.TextChoices):
    HIT = "hit", _("Hit")
    POSSIBLE = "possible", _("Possible hit")
    NO_HIT = "no-hit", _("No hit")
    REFUSED = "refused", _("Refused")


class Query(models.Model):
    """A question this office asked the network: "does any office know this?"."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)  # the query id on the wire
    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("what is asked about"), max_length=10, choices=QueryKind.choices)
    purpose = models.CharField(_("purpose"), max_length=20, choices=Purpose.choices)
    case = models.ForeignKey(
        "cases.Case", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("case")
    )
    case_reference = models.CharField(_("case reference"), max_length=64)
    legal_basis = models.CharField(_("legal basis"), max_length=300)
    asked = models.TextField()  # vault token: what was asked, in clear, for this office's own eyes
    asked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    asked_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        indexes: ClassVar = [models.Index(fields=["asked_by", "asked_at"], name="match_query_by_user")]

    def __str__(self) -> str:
        return f"query {self.pk}"

    @staticmethod
    def context(pk: uuid.UUID | str) -> str:
        return f"matching.query:{pk}"


class QueryRecipient(models.Model):
    """What one office answered to a query: a decision and, for a hit, an opaque reference that expires."""

    class State(models.TextChoices):
        SENT = "sent", _("Waiting for the answer")
        ANSWERED = "answered", _("Answered")
        UNDELIVERED = "undelivered", _("Could not be delivered")

    query = models.ForeignKey(Query, on_delete=models.CASCADE, related_name="recipients")
    member = models.CharField(max_length=32)
    state = models.CharField(max_length=12, choices=State.choices, default=State.SENT)
    decision = models.CharField(max_length=10, choices=Decision.choices, blank=True)
    refusal = models.CharField(max_length=32, blank=True)
    hit_reference = models.CharField(max_length=64, blank=True, db_index=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    hit_status = models.CharField(max_length=10, blank=True)  # "confirmed" or "rejected" once the holder decided
    message_id = models.UUIDField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints: ClassVar = [models.UniqueConstraint(fields=["query", "member"], name="one_answer_per_member")]

    def __str__(self) -> str:
        return f"{self.member}: {self.decision or self.state}"


class IncomingQuery(models.Model):
    """A query another office asked this one, with what it was answered (the encodings are not kept)."""

    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="+")  # the office asked
    query_id = models.UUIDField()
    member = models.CharField(max_length=32)
    kind = models.CharField(max_length=10, choices=QueryKind.choices)
    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    case_reference = models.CharField(max_length=64)
    legal_basis = models.CharField(max_length=300)
    asked_by = models.CharField(max_length=200)  # the asker's name and role as the asking office signed them
    asked_at = models.DateTimeField()
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    decision = models.CharField(max_length=10, choices=Decision.choices)
    refusal = models.CharField(max_length=32, blank=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["office", "member", "query_id"], name="one_incoming_query_per_id"),
        ]
        indexes: ClassVar = [models.Index(fields=["member", "received_at"], name="match_incoming_by_member")]

    def __str__(self) -> str:
        return f"query {self.query_id} from {self.member}"


class Hit(models.Model):
    """A query that hit this office's records: the focal point confirms or rejects it before any data flows."""

    class State(models.TextChoices):
        PENDING = "pending", _("To confirm")
        CONFIRMED = "confirmed", _("Confirmed")
        REJECTED = "rejected", _("Rejected")

    reference = models.CharField(max_length=64, unique=True)  # the opaque hit reference the asker holds
    incoming = models.OneToOneField(IncomingQuery, on_delete=models.CASCADE, related_name="hit")
    decision = models.CharField(max_length=10, choices=Decision.choices)
    persons = models.ManyToManyField("cases.Person", related_name="+")
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    expires_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=500, blank=True)
    version = models.PositiveIntegerField(default=1)

    def __str__(self) -> str:
        return f"hit {self.reference} ({self.state})"


class CrossmatchRef(models.Model):
    """Office side: the opaque reference an index entry had in the last upload to the hub."""

    entry = models.OneToOneField(IndexEntry, on_delete=models.CASCADE, related_name="crossmatch_ref")
    reference = models.CharField(max_length=32, unique=True)

    def __str__(self) -> str:
        return self.reference


class CrossmatchUpload(models.Model):
    """Hub side: the encodings one office uploaded last (replaced by its next upload); no names, only references."""

    member = models.CharField(max_length=32, unique=True)
    scheme = models.CharField(max_length=200)  # "<scheme>|<key fingerprint>": only uploads under both compare
    count = models.PositiveIntegerField()
    data = models.BinaryField()  # wire.pack_rows: (reference, fields, filter) per row
    uploaded_at = models.DateTimeField(default=timezone.now)
    made_at = models.DateTimeField(null=True, blank=True)  # when the office made it

    def __str__(self) -> str:
        return f"upload of {self.member} ({self.count})"


class CrossmatchPart(models.Model):
    """Hub side: one part of an office's upload, kept until every part of that upload has arrived."""

    member = models.CharField(max_length=32)
    upload = models.UUIDField()
    part = models.PositiveIntegerField()
    parts = models.PositiveIntegerField()
    scheme = models.CharField(max_length=200)
    count = models.PositiveIntegerField()
    data = models.BinaryField()
    made_at = models.DateTimeField()
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["member", "upload", "part"], name="one_crossmatch_part"),
        ]

    def __str__(self) -> str:
        return f"part {self.part + 1} of {self.parts} from {self.member}"


class CrossmatchRun(models.Model):
    """Hub side: one cross-match over the uploads in force, and what it found."""

    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    members = models.JSONField(default=list)
    records = models.PositiveIntegerField(default=0)
    overlaps = models.PositiveIntegerField(default=0)
    seconds = models.FloatField(default=0.0)

    def __str__(self) -> str:
        return f"cross-match {self.pk}"


class CrossmatchNotice(models.Model):
    """Office side: the hub found that another office holds a person this office holds too."""

    reference = models.CharField(max_length=32)  # this office's opaque reference of the entry
    entry = models.ForeignKey(IndexEntry, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    other_member = models.CharField(max_length=32)
    decision = models.CharField(max_length=10, choices=Decision.choices, default=Decision.HIT)
    run_at = models.DateTimeField()
    received_at = models.DateTimeField(default=timezone.now)
    seen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["reference", "other_member"], name="one_notice_per_pair"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} also held by {self.other_member}"

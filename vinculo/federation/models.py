"""The federation's tables: the network directory (the hub's register and every node's signed copy).

Only public keys are stored here. A node's private keys live in files (``keys.py``).
"""

from __future__ import annotations

from django.db import models
from django.db.models.signals import post_delete, post_migrate, post_save
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _


class MemberStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")


class KeyUse(models.TextChoices):
    SIGNING = "signing", _("Signing")
    ENCRYPTION = "encryption", _("Encryption")


class Member(models.Model):
    """A member of the network as the hub registers it (hub only): the source of the directory's members."""

    member_id = models.CharField(_("member id"), max_length=24, unique=True)
    name_es = models.CharField(_("name in Spanish"), max_length=200)
    name_en = models.CharField(_("name in English"), max_length=200)
    country = models.CharField(_("country"), max_length=2)
    endpoint = models.CharField(_("endpoint"), max_length=300)
    status = models.CharField(_("status"), max_length=16, choices=MemberStatus.choices, default=MemberStatus.ACTIVE)
    roles = models.JSONField(_("roles"), default=list)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["member_id"]
        verbose_name = _("network member")
        verbose_name_plural = _("network members")

    def __str__(self) -> str:
        return self.member_id


class MemberKey(models.Model):
    """A member's public key (a JWK) in the hub's register; ``not_after`` ends its overlap after a rotation."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="keys", verbose_name=_("member"))
    use = models.CharField(_("use"), max_length=16, choices=KeyUse.choices)
    kid = models.CharField(_("thumbprint"), max_length=43)
    jwk = models.JSONField(_("public key"))
    added_at = models.DateTimeField(_("added at"), auto_now_add=True)
    not_after = models.DateTimeField(_("valid until"), null=True, blank=True)

    class Meta:
        ordering = ["member", "use", "added_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["member", "kid"], name="federation_member_key_unique")]
        verbose_name = _("member key")
        verbose_name_plural = _("member keys")

    def __str__(self) -> str:
        return f"{self.member_id} {self.use} {self.kid}"


class NetworkPolicy(models.Model):
    """The network policy the hub publishes (one row): allowed message types, deadlines, limits."""

    document = models.JSONField(_("policy"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("network policy")
        verbose_name_plural = _("network policies")

    def __str__(self) -> str:
        return "network policy"


class KeyAnnouncement(models.Model):
    """A key-rotation announcement the hub accepted (signed by the member's old key): kept as evidence."""

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="announcements", verbose_name=_("member"))
    token = models.TextField(_("signed announcement"))
    old_signing_kid = models.CharField(_("old signing key"), max_length=43)
    new_signing_kid = models.CharField(_("new signing key"), max_length=43)
    new_encryption_kid = models.CharField(_("new encryption key"), max_length=43)
    overlap_ends_at = models.DateTimeField(_("overlap ends at"))
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)

    class Meta:
        ordering = ["received_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["member", "new_signing_kid"], name="federation_announcement_unique")
        ]
        verbose_name = _("key announcement")
        verbose_name_plural = _("key announcements")

    def __str__(self) -> str:
        return f"{self.member_id} {self.old_signing_kid} -> {self.new_signing_kid}"


class SignedDirectory(models.Model):
    """A signed network directory: on the hub, each version it published; on a node, each version it accepted.

    The newest row is the directory in force; older ones stay as the record of what was in force
    when (an offline check of old envelopes needs the keys of their day).
    """

    version = models.PositiveBigIntegerField(_("version"), unique=True)
    token = models.TextField(_("signed directory"))
    signer = models.CharField(_("signed with key"), max_length=43)
    issued_at = models.DateTimeField(_("issued at"))
    expires_at = models.DateTimeField(_("expires at"))
    stored_at = models.DateTimeField(_("stored at"), auto_now_add=True)

    class Meta:
        ordering = ["-version"]
        verbose_name = _("signed directory")
        verbose_name_plural = _("signed directories")

    def __str__(self) -> str:
        return f"directory v{self.version}"


class DirectoryRefresh(models.Model):
    """How the last attempts to fetch the directory from the hub went (one row, office nodes)."""

    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    last_success_at = models.DateTimeField(_("last success"), null=True, blank=True)
    last_error_code = models.CharField(_("last error"), max_length=32, blank=True)
    last_error_detail = models.CharField(_("last error detail"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("directory refresh")
        verbose_name_plural = _("directory refreshes")

    def __str__(self) -> str:
        return f"directory refresh ({self.last_error_code or 'ok'})"


@receiver([post_save, post_delete], sender=SignedDirectory)
@receiver(post_migrate)  # also sent by `flush`, which empties the table without a delete signal
def _forget_cached_directory(**_: object) -> None:
    from vinculo.federation.directory import forget_cached

    forget_cached()

"""What each kind of evidence entry means, in words (shown to auditors beside the code)."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from vinculo.evidence import chain

KIND_LABELS: dict[str, Promise] = {
    chain.ENVELOPE_SENT: _("Envelope sent"),
    chain.ENVELOPE_RECEIVED: _("Envelope received"),
    chain.ENVELOPE_REFUSED: _("Envelope refused"),
    chain.RECEIPT_SENT: _("Receipt sent"),
    chain.RECEIPT_RECEIVED: _("Receipt received"),
    chain.RECEIPT_REFUSED: _("Receipt refused"),
    chain.DELIVERY_FAILED: _("Delivery given up"),
    chain.AUDIT_CHECKPOINT: _("Audit trail checkpoint"),
    chain.HEAD_SIGNED: _("Chain head signed by this node"),
    chain.HEAD_RECEIVED: _("Chain head received from a peer"),
    chain.ATTACHMENT_SENT: _("Attachment uploaded (every chunk held by the recipient)"),
    chain.ATTACHMENT_RECEIVED: _("Attachment received and verified"),
}


def kind_label(kind: str) -> str:
    """The words for a kind, or the code itself when it is not (yet) described."""
    label = KIND_LABELS.get(kind)
    return str(label) if label is not None else kind

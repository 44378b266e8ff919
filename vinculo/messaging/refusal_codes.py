"""What each refusal code of the inbox means, in words (docs/protocol.md §5; shown beside the code).

The envelope core's codes (``wire.REFUSAL_CODES``), the inbox's own (``services.inbox``,
``network``, ``services.blob_uploads``) and ``rate_limited`` (``services.refusal_limits``); a test
keeps this list complete.
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

REFUSAL_LABELS: dict[str, Promise] = {
    # The envelope core, in the order it checks.
    "too_large": _("Too large: longer than the network policy allows."),
    "malformed": _("Malformed: not an envelope of the protocol, or damaged on the way."),
    "unsupported_version": _("Unsupported version: sealed with a protocol version this node does not speak."),
    "wrong_recipient": _("Wrong recipient: addressed to another node, or encrypted to a key this node does not hold."),
    "stale": _("Out of time: sealed too long before or after this node's clock (replay window)."),
    "unknown_sender": _("Unknown sender: the directory lists no such member, or not the key it was signed with."),
    "undecryptable": _("Undecryptable: altered on the way, or not encrypted to this node."),
    "header_mismatch": _("Header mismatch: the clear header does not match the signed message."),
    "bad_signature": _("Bad signature: the sender's signature does not verify."),
    # The inbox's own.
    "suspended_sender": _("Suspended sender: the sender is suspended in the network directory."),
    "no_directory": _("No directory: this node held no network directory, so it could check nothing."),
    "directory_expired": _("Directory expired: the network directory held by this node had expired."),
    "type_not_allowed": _("Type not allowed: the network policy does not allow this type of message."),
    "replay": _("Replay: the sender had already used this message id for a different message."),
    "attachment_incomplete": _("Attachment incomplete: not every chunk of an attachment had arrived yet."),
    "attachment_invalid": _("Attachment not valid: a chunk does not match what the signed message describes."),
    "rate_limited": _(
        "Rate limited: too many refusals from this address in one minute; the envelopes after them were counted, "
        "not read."
    ),
}


def refusal_label(code: str) -> str:
    """The words for a refusal code, or the code itself when it is not (yet) described."""
    label = REFUSAL_LABELS.get(code)
    return str(label) if label is not None else code

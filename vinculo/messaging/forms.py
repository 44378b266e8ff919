"""Filters of the delivery pages (labels in both languages; bad input becomes form errors, never a 500)."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vinculo.federation.envelope import MESSAGE_TYPE
from vinculo.federation.wire import MEMBER_ID
from vinculo.messaging.models import OutboundMessage
from vinculo.messaging.refusal_codes import REFUSAL_LABELS

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def start_of(day: datetime.date) -> datetime.datetime:
    """Midnight at the start of ``day`` in the node's time zone."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


class _DeliveryFilterForm(forms.Form):
    """Peer, type and a range of days, shared by the sent and received lists."""

    peer = forms.CharField(
        label=_("Member"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"placeholder": "GT-MP", "spellcheck": "false"}),
    )
    type = forms.CharField(
        label=_("Type"),
        required=False,
        max_length=64,
        widget=forms.TextInput(attrs={"placeholder": "request.information", "spellcheck": "false"}),
    )
    since = forms.DateField(label=_("From"), required=False, widget=DATE)
    until = forms.DateField(label=_("Until"), required=False, widget=DATE)

    def clean_peer(self) -> str:
        peer = str(self.cleaned_data["peer"]).strip().upper()
        if peer and not MEMBER_ID.fullmatch(peer):
            raise forms.ValidationError(_("A member id looks like GT-MP or SV-FGR."))
        return peer

    def clean_type(self) -> str:
        message_type = str(self.cleaned_data["type"]).strip().lower()
        if message_type and not MESSAGE_TYPE.fullmatch(message_type):
            raise forms.ValidationError(_("A message type looks like request.information or alert."))
        return message_type

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since > until:
            self.add_error("until", _("The last day comes before the first."))
        return cleaned

    def criteria(self) -> dict[str, Any]:
        """The cleaned filters as the selectors take them (call after is_valid()): days become moments."""
        since, until = self.cleaned_data.get("since"), self.cleaned_data.get("until")
        return {
            "peer": self.cleaned_data["peer"],
            "message_type": self.cleaned_data["type"],
            "since": start_of(since) if since else None,
            "before": start_of(until + datetime.timedelta(days=1)) if until else None,
        }


class SentFilterForm(_DeliveryFilterForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["peer"].label = _("Recipient")

    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any status")), *OutboundMessage.Status.choices]
    )
    field_order = ("peer", "status", "type", "since", "until")

    def criteria(self) -> dict[str, Any]:
        return {**super().criteria(), "status": self.cleaned_data["status"]}


class ReceivedFilterForm(_DeliveryFilterForm):
    STATES = (
        ("", _("Any state")),
        ("waiting", _("Waiting to be handled")),
        ("handled", _("Handled")),
        ("error", _("Not handled (error)")),
    )
    state = forms.ChoiceField(label=_("Handling"), required=False, choices=STATES)
    field_order = ("peer", "state", "type", "since", "until")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["peer"].label = _("Sender")

    def criteria(self) -> dict[str, Any]:
        return {**super().criteria(), "state": self.cleaned_data["state"]}


def _code_choices() -> list[tuple[str, str]]:
    return [("", str(_("Any reason"))), *((code, code) for code in REFUSAL_LABELS)]


class RefusedFilterForm(forms.Form):
    code = forms.ChoiceField(label=_("Refusal code"), required=False, choices=_code_choices)
    address = forms.GenericIPAddressField(
        label=_("Remote address"),
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "203.0.113.7", "spellcheck": "false"}),
    )

    def criteria(self) -> dict[str, str]:
        return {"code": self.cleaned_data["code"], "address": self.cleaned_data["address"] or ""}

"""The auditor's filter form for the evidence log (labels in both languages; bad input becomes form errors)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from vinculo.evidence.chain import KINDS
from vinculo.evidence.kinds import KIND_LABELS
from vinculo.federation.wire import MEMBER_ID, MESSAGE_ID


def _kind_choices() -> list[tuple[str, object]]:
    return [("", _("Any kind")), *((kind, KIND_LABELS[kind]) for kind in KINDS)]


class EvidenceFilterForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=_kind_choices)
    peer = forms.CharField(
        label=_("Peer"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"placeholder": "GT-MP", "spellcheck": "false"}),
    )
    message_id = forms.CharField(
        label=_("Message id"), required=False, max_length=36, widget=forms.TextInput(attrs={"spellcheck": "false"})
    )

    def clean_peer(self) -> str:
        peer = self.cleaned_data["peer"].strip().upper()
        if peer and not MEMBER_ID.fullmatch(peer):
            raise forms.ValidationError(_("A member id looks like GT-MP or SV-FGR."))
        return peer

    def clean_message_id(self) -> str:
        message_id = self.cleaned_data["message_id"].strip().lower()
        if message_id and not MESSAGE_ID.fullmatch(message_id):
            raise forms.ValidationError(_("A message id is a UUID such as 0b7e4c1a-5f7d-4a8e-9c1e-2d3f4a5b6c7d."))
        return message_id

    def criteria(self) -> dict[str, str]:
        """The cleaned filters as the selector takes them (call after is_valid())."""
        return {name: self.cleaned_data[name] for name in ("kind", "peer", "message_id")}

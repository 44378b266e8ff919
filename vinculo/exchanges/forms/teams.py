"""Forms of joint teams: forming one, posting in its thread (a message or a task), adding an office."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from vinculo.accounts.models import User
from vinculo.exchanges.forms.common import (
    LANGUAGES,
    CaseNumberMixin,
    CodesForm,
    FilesField,
    case_number_field,
    office_choices,
    set_choices,
)
from vinculo.exchanges.selectors import OfficeToAsk


class TeamForm(CaseNumberMixin, forms.Form):
    name = forms.CharField(
        label=_("Name of the team"),
        max_length=160,
        help_text=_("For example the operation's name. Write no names of people here."),
    )
    members = forms.MultipleChoiceField(
        label=_("Offices in the team"),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Your office leads the team; it may add other offices later."),
    )
    case = case_number_field()

    def __init__(self, *args: Any, user: User, offices: list[OfficeToAsk], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        set_choices(self, "members", office_choices(offices))


class PostForm(CodesForm):
    text = forms.CharField(
        label=_("Message or task"),
        max_length=8000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Every office of the team reads it in its copy of the thread."),
    )
    language = forms.ChoiceField(label=_("Language of the text"), choices=LANGUAGES)
    task_owner = forms.ChoiceField(
        label=_("Office that owns the task"),
        required=False,
        help_text=_("Choose an office to make this a task for it; leave it to post a message."),
    )
    task_due_on = forms.DateField(
        label=_("Due on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Optional, for a task."),
    )

    # ``files`` is also the form's attribute for the uploads (the metaclass takes fields off the class).
    files = FilesField(  # type: ignore[assignment]
        label=_("Document"),
        help_text=_("Optional: a file to share with the team (the text above describes it). One at a time."),
    )

    field_order = ["text", "language", "task_owner", "task_due_on", "handling", "conditions", "files"]

    def __init__(self, *args: Any, members: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "task_owner", [("", _("None: a message, not a task")), *members])

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("task_due_on") and not data.get("task_owner"):
            self.add_error("task_due_on", _("A due date goes with a task: choose the office that owns it."))
        if len(data.get("files") or []) > 1:
            self.add_error("files", _("Share one document at a time, each with its description."))
        elif data.get("files") and data.get("task_owner"):
            self.add_error("files", _("A task carries no file: post the document on its own, then the task."))
        return data


class MemberForm(forms.Form):
    member = forms.ChoiceField(label=_("Office to add"))

    def __init__(self, *args: Any, offices: list[OfficeToAsk], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "member", [("", _("Choose…")), *office_choices(offices)])

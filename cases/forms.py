from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, User
from cases.countries import choices as country_choices
from cases.models import CaseStatus, NoteVisibility, NoticeContact, Priority
from cases.services import CONSENT_NOTE_MAX


def jurisdiction_field(*, for_her=False):
    if for_her:
        label = _("The country you live in")
        help_text = _("It decides which laws we can use to ask for removal.")
    else:
        label = _("Country she lives in")
        help_text = _("Decides which legal routes are offered for takedown requests.")
    return forms.ChoiceField(
        label=label, choices=country_choices, required=False, help_text=help_text
    )


class CaseOpenForm(forms.Form):
    pseudonym = forms.CharField(
        label=_("A name for this case"),
        max_length=80,
        help_text=_("Any name you like. It does not need to be your real name."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        # Said in her words, not Django's "This field is required."
        error_messages={"required": _("Please give the case a name. Any name will do.")},
    )
    jurisdiction = jurisdiction_field(for_her=True)


class UrgencyFields(forms.Form):
    involves_minor = forms.BooleanField(label=_("A minor is involved"), required=False)
    threats_or_extortion = forms.BooleanField(
        label=_("There are threats or extortion"), required=False
    )


class CaseOpenForCallerForm(CaseOpenForm, UrgencyFields):
    jurisdiction = jurisdiction_field()
    contact_email = forms.EmailField(
        label=_("Contact email"),
        help_text=_("Where the invitation to claim the case goes. Ask whether it is safe to use."),
    )
    field_order = [
        "pseudonym",
        "contact_email",
        "jurisdiction",
        "involves_minor",
        "threats_or_extortion",
    ]


class TriageForm(UrgencyFields):
    priority = forms.ChoiceField(
        label=_("Priority"),
        choices=Priority.choices,
        help_text=_("A minor, threats or extortion always make a case urgent."),
    )
    jurisdiction = jurisdiction_field()
    field_order = ["priority", "involves_minor", "threats_or_extortion", "jurisdiction"]


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Move the case to"), choices=CaseStatus.choices)


def assignable_staff():
    return User.objects.filter(
        is_active=True, role__in=(Role.CASEWORKER, Role.SUPERVISOR)
    ).order_by("display_name", "email")


class AssignForm(forms.Form):
    assigned_to = forms.ModelChoiceField(
        label=_("Assign to"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("Nobody (back to the queue)"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assigned_to"].queryset = assignable_staff()


class NoteForm(forms.Form):
    body = forms.CharField(
        label=_("Note"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    visibility = forms.ChoiceField(
        label=_("Who can read it"),
        choices=NoteVisibility.choices,
        initial=NoteVisibility.INTERNAL,
        widget=forms.RadioSelect,
    )


STAFF_NOTE_LABEL = _("Who told you, and when")
STAFF_NOTE_HELP = _("For example: she said yes on the helpline call of 3 Nov, 14:10.")


class ConsentForm(forms.Form):
    """Give or withdraw her consent to LeakCase writing to platforms for her. Staff say who
    told them and when (cases.services.case_set_consent)."""

    consent = forms.ChoiceField(
        choices=[("give", _("Give")), ("withdraw", _("Withdraw"))], widget=forms.HiddenInput
    )
    note = forms.CharField(label=_("Note (optional)"), required=False, max_length=CONSENT_NOTE_MAX)

    def __init__(self, *args, for_staff=False, **kwargs):
        super().__init__(*args, **kwargs)
        if for_staff:
            self.fields["note"].label = STAFF_NOTE_LABEL
            self.fields["note"].help_text = STAFF_NOTE_HELP
        else:
            del self.fields["note"]


class NoticeContactForm(forms.Form):
    notice_contact = forms.ChoiceField(
        label=_("The email address a notice gives the platform"),
        widget=forms.RadioSelect,
        choices=NoticeContact.choices,
    )
    note = forms.CharField(label=STAFF_NOTE_LABEL, required=False, max_length=CONSENT_NOTE_MAX)

    def __init__(self, *args, case=None, for_staff=False, **kwargs):
        super().__init__(*args, **kwargs)
        email = case.contact_email if case is not None else ""
        if for_staff:
            self.fields["notice_contact"].choices = [
                (
                    NoticeContact.SERVICE,
                    _("LeakCase's reply address (the platform's answers come to us)"),
                ),
                (
                    NoticeContact.OWN_EMAIL,
                    _("Her own email address (%(email)s)") % {"email": email}
                    if email
                    else _("Her own email address"),
                ),
            ]
            self.fields["note"].help_text = STAFF_NOTE_HELP
        else:
            self.fields["notice_contact"].label = _("The email address platforms see in a notice")
            self.fields["notice_contact"].choices = [
                (
                    NoticeContact.SERVICE,
                    _(
                        "LeakCase's reply address. The platform's answers come to us, and "
                        "your address stays private. (Notices can be made public.)"
                    ),
                ),
                (
                    NoticeContact.OWN_EMAIL,
                    _("My own email address (%(email)s)") % {"email": email}
                    if email
                    else _("My own email address"),
                ),
            ]
            del self.fields["note"]

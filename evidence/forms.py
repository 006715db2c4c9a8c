from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from evidence.imaging import ACCEPT_ATTRIBUTE, ACCEPTED_NAMES, too_big_message
from evidence.models import Sighting
from evidence.sighting_urls import MAX_URL_LENGTH

# A pasted list longer than this is not a list of links (500 URLs of 2 kB each).
MAX_PASTE_CHARS = 500 * (MAX_URL_LENGTH + 2)


class SightingForm(forms.Form):
    url = forms.CharField(
        label=_("Address (URL) where you saw it"),
        # Longer input is accepted here so the service can say how long it was.
        max_length=MAX_URL_LENGTH * 4,
        widget=forms.TextInput(attrs={"inputmode": "url", "autocomplete": "off"}),
    )
    note = forms.CharField(
        label=_("Note (optional)"),
        required=False,
        max_length=Sighting._meta.get_field("note").max_length,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Anything that helps: the account that posted it, what the page says."),
    )
    first_seen_on = forms.DateField(
        label=_("When you first saw it (optional)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def clean_first_seen_on(self):
        value = self.cleaned_data["first_seen_on"]
        if value and value > timezone.localdate():
            raise forms.ValidationError(_("That date is in the future."))
        return value


class PasteSightingsForm(forms.Form):
    urls = forms.CharField(
        label=_("Paste addresses, one per line"),
        max_length=MAX_PASTE_CHARS,
        widget=forms.Textarea(attrs={"rows": 6, "autocomplete": "off", "spellcheck": "false"}),
    )


class UploadField(forms.FileField):
    """A file as evidence.upload_handlers hands it over. One over the size limit arrives as
    a RefusedUpload (its size, none of its bytes) and is refused here with the limit named,
    so every form that takes a file says the same."""

    def validate(self, value):
        super().validate(value)
        limit = settings.EVIDENCE_MAX_UPLOAD_BYTES
        if value and value.size is not None and value.size > limit:
            raise forms.ValidationError(too_big_message(value.size, limit), code="too_big")


class EvidenceUploadForm(forms.Form):
    image = UploadField(
        label=_("Screenshot"),
        help_text=format_lazy(
            _("{formats}. Location and camera details are removed before it is kept."),
            formats=ACCEPTED_NAMES,
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT_ATTRIBUTE}),
    )
    sighting = forms.ChoiceField(label=_("Which sighting it shows (optional)"), required=False)

    def __init__(self, *args, sightings=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sighting"].choices = [("", _("Not linked to a sighting"))] + [
            (str(s.pk), s.url[:80]) for s in sightings
        ]


class ReferenceForm(forms.Form):
    image = UploadField(
        label=_("Image you want found"),
        help_text=format_lazy(_("A {formats} picture."), formats=ACCEPTED_NAMES),
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT_ATTRIBUTE}),
    )
    label = forms.CharField(label=_("A label for it (optional)"), max_length=80, required=False)
    keep_copy = forms.BooleanField(
        label=_("Also keep an encrypted copy of the image (helps staff confirm matches)"),
        help_text=_("This sends the picture itself to us, and we keep it encrypted."),
        required=False,
    )


class ReferenceFingerprintsForm(forms.Form):
    """What her device sends instead of the picture (static/leakcase/hashing/): filled in by
    the script, never typed. Shapes are checked by services.reference_register_fingerprints,
    so every wrong value gets the same plain message."""

    phash = forms.CharField(required=False, max_length=200, widget=forms.HiddenInput)
    dhash = forms.CharField(required=False, max_length=200, widget=forms.HiddenInput)
    md5 = forms.CharField(required=False, max_length=200, widget=forms.HiddenInput)
    sha256 = forms.CharField(required=False, max_length=200, widget=forms.HiddenInput)
    pdq = forms.CharField(required=False, max_length=200, widget=forms.HiddenInput)
    pdq_quality = forms.IntegerField(required=False, widget=forms.HiddenInput)
    label = forms.CharField(required=False, max_length=80, widget=forms.HiddenInput)


class CropForm(forms.Form):
    """The photo's edges inside a screenshot, in pixels from the top-left corner."""

    left = forms.IntegerField(label=_("Left edge"), min_value=0)
    top = forms.IntegerField(label=_("Top edge"), min_value=0)
    right = forms.IntegerField(label=_("Right edge"), min_value=1)
    bottom = forms.IntegerField(label=_("Bottom edge"), min_value=1)


class SightingStatusForm(forms.Form):
    """Staff set a link's status from what they saw or were told, always with a reason."""

    status = forms.ChoiceField(
        label=_("What is at this link now"),
        choices=[
            ("live", _("Up: I checked, it is still online")),
            ("removed", _("Removed: I checked, it is gone")),
        ],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("Why (she sees this in her timeline)"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "What you saw, or who told you: e.g. “Opened it in a private window: "
            "the post is gone.”"
        ),
    )


class SightingReportForm(forms.Form):
    """She says what she sees at one of her links."""

    seen = forms.ChoiceField(choices=[("up", _("I checked: still up")), ("gone", _("It's gone"))])
    words = forms.CharField(
        label=_("Anything to add (optional)"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class SightingCorrectForm(SightingForm):
    """Her correction of a link she logged: the address, where (the note) and when."""

    def __init__(self, *args, sighting=None, address_locked=False, **kwargs):
        if sighting is not None and not args and "initial" not in kwargs:
            kwargs["initial"] = {
                "url": sighting.url,
                "note": sighting.note,
                "first_seen_on": sighting.first_seen_on,
            }
        super().__init__(*args, **kwargs)
        self.fields["url"].label = _("Address (URL)")
        self.fields["note"].label = _("Where on the page, or anything that helps (optional)")
        self.fields["note"].help_text = ""
        if address_locked:
            # Already sent to the platform: the address stays as sent (see the page).
            self.fields["url"].disabled = True
            self.fields["url"].help_text = _(
                "This address was sent to the platform in a request, so it cannot change here."
            )

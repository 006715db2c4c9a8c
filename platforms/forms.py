from django import forms

from platforms.models import LegalBasis, Platform


class PlatformForm(forms.ModelForm):
    report_form_url = forms.URLField(
        label="Report form URL", required=False, max_length=500, assume_scheme="https"
    )
    domains_text = forms.CharField(
        label="Domains, one per line",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Registrable domains (x.com) or exact hosts; subdomains match their domain.",
    )
    legal_bases = forms.MultipleChoiceField(
        label="Routes it answers to",
        choices=LegalBasis.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = Platform
        fields = [
            "name",
            "kind",
            "report_form_url",
            "abuse_email",
            "legal_bases",
            "language",
            "expected_response_hours",
            "checks_per_minute",
            "source",
            "notes",
        ]
        widgets = {"source": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Left out, a platform's notices are in English (the model's default).
        self.fields["language"].required = False
        if self.instance.pk:
            self.fields["domains_text"].initial = "\n".join(
                self.instance.domains.values_list("domain", flat=True)
            )

    def clean_language(self):
        return self.cleaned_data.get("language") or Platform._meta.get_field("language").default

    def clean(self):
        cleaned = super().clean()
        has_channel = cleaned.get("report_form_url") or cleaned.get("abuse_email")
        if has_channel and not (cleaned.get("source") or "").strip():
            self.add_error("source", "Say where the contact channel comes from.")
        return cleaned

"""What every form of ours shares: service errors shown on the form, a one-time token per
rendered form so a double tap (or a restored tab sending it again) never does a thing twice,
and POST-only views that answer a GET by going back to their page instead of a 405.

A new form: render it through templates/_form.html or templates/_form_fields.html (both
carry the token; a hand-written form adds `{% form_token %}`), and decorate its view with
`post_only("app:page")` (POST-only views) or `sent_once` (views that show and take a form).
"""

import datetime as dt
import functools
import re
import secrets

from django import forms, template
from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.forms import renderers
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import redirect
from django.template import TemplateDoesNotExist
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

FORM_TOKEN_FIELD = "form_token"  # noqa: S105 (a field name, not a secret)
# Long enough that a form left open overnight on her phone still counts as the same form.
FORM_TOKEN_SECONDS = 7 * 24 * 3600
ALREADY_SENT = _("That was already sent.")
_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
# Marks a token whose first POST is still being worked on (no result to go back to yet).
_IN_PROGRESS = "in-progress"

register = template.Library()  # a template builtin (settings.TEMPLATES): no {% load %}


class FormRenderer(renderers.BaseRenderer):
    """settings.FORM_RENDERER: Django's own form and widget templates rendered from their
    Jinja2 copies, which Django ships with the same HTML (whitespace and how an apostrophe is
    escaped aside); a template with no Jinja2 copy (the admin's widgets) from the Django
    template language as before. Why: the case page renders about twenty fields, each
    through four or five templates, and Jinja2 took 7-10 ms off its 60-70 (issue 21)."""

    def __init__(self):
        self.jinja2 = renderers.Jinja2()
        self.django_templates = renderers.DjangoTemplates()

    def get_template(self, template_name):
        try:
            return self.jinja2.get_template(template_name)
        except TemplateDoesNotExist:
            return self.django_templates.get_template(template_name)


def add_validation_errors(form, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: under its field when the form has that
    field, at the top otherwise."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for field, messages_ in error.message_dict.items():
        form.add_error(field if field in form.fields else None, messages_)


def new_form_token() -> str:
    return secrets.token_urlsafe(18)


@register.simple_tag
def form_token() -> str:
    """A hidden field with a fresh random token: one per rendered form, so a form shown
    again with its errors carries a new one."""
    return format_html(
        '<input type="hidden" name="{}" value="{}">', FORM_TOKEN_FIELD, new_form_token()
    )


def _token_key(request, token: str) -> str:
    return f"form-sent:{request.user.pk or 'anonymous'}:{token}"


def _sent_once(view, back):
    """The first POST carrying a token is handled; the token is claimed atomically
    (cache.add is Redis SET NX), so a second POST with it, even at the same moment in
    another process, does not repeat the action: it goes to where the first one went (or to
    the form's page while the first is still being handled), with ALREADY_SENT.
    A POST answered otherwise than by a redirect (an error page that changed nothing, a
    download) or that raised frees its token again."""

    @functools.wraps(view)
    def checked(request, *args, **kwargs):
        token = request.POST.get(FORM_TOKEN_FIELD, "") if request.method == "POST" else ""
        if not _TOKEN_SHAPE.match(token):
            # Forms without a token (a test client, an API caller) are handled as before.
            return view(request, *args, **kwargs)
        key = _token_key(request, token)
        if not cache.add(key, _IN_PROGRESS, timeout=FORM_TOKEN_SECONDS):
            went_to = cache.get(key)
            messages.info(request, ALREADY_SENT)
            if went_to and went_to != _IN_PROGRESS:
                return HttpResponseRedirect(went_to)
            return redirect(back(request, kwargs))
        try:
            response = view(request, *args, **kwargs)
        except BaseException:
            cache.delete(key)
            raise
        if isinstance(response, HttpResponseRedirect):
            cache.set(key, response["Location"], timeout=FORM_TOKEN_SECONDS)
        else:
            # An error page changed nothing; a download (her data) may be asked for again.
            cache.delete(key)
        return response

    return checked


def _back_to(name, back_kwargs):
    def back(request, kwargs):
        if callable(name):
            return name(request, **kwargs)
        return reverse(name, kwargs={k: kwargs[k] for k in back_kwargs if k in kwargs})

    return back


def post_only(back, *, back_kwargs=("reference",)):
    """For a view that only takes a form (in place of require_POST). A GET, which is what a
    phone sends when it restores a tab that had posted here, goes to the page the form is
    on (`back`: a URL name, reversed with the view's `back_kwargs`, or a function of the
    request and the view's kwargs returning a URL) instead of a 405 page. POSTs are
    sent_once."""
    find_back = _back_to(back, back_kwargs)

    def decorator(view):
        once = _sent_once(view, find_back)

        @functools.wraps(view)
        def checked(request, *args, **kwargs):
            if request.method == "POST":
                return once(request, *args, **kwargs)
            if request.method in ("GET", "HEAD"):
                return redirect(find_back(request, kwargs))
            return HttpResponseNotAllowed(["POST"])

        return checked

    return decorator


def sent_once(view):
    """For a view that shows a form on GET and takes it on POST (in place of
    require_http_methods(["GET", "POST"])): POSTs are handled once per form token; a second
    one goes where the first went, or back to this page."""
    once = _sent_once(view, lambda request, kwargs: request.get_full_path())

    @functools.wraps(view)
    def checked(request, *args, **kwargs):
        if request.method in ("GET", "HEAD"):
            return view(request, *args, **kwargs)
        if request.method == "POST":
            return once(request, *args, **kwargs)
        return HttpResponseNotAllowed(["GET", "POST"])

    return checked


DATE_INVALID = _("Enter a date as year-month-day, for example 2026-03-01.")


def _date_field(label: str):
    return forms.DateField(
        required=False,
        label=label,
        input_formats=["%Y-%m-%d"],
        error_messages={"invalid": DATE_INVALID},
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


class DateRangeForm(forms.Form):
    """From and to dates, both kept (to is the whole day), read as UTC days. A date that
    cannot be read, or a range that ends before it starts, is an error on the form: pages
    answer it with a message, never with the range left out."""

    date_from = _date_field(_("From"))
    date_to = _date_field(_("To"))

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("“To” must be on or after “From”."))
        return cleaned

    def utc_range(self) -> tuple[dt.datetime | None, dt.datetime | None]:
        """[from 00:00, the day after to 00:00) in UTC; None for an end not given."""
        start, end = self.cleaned_data.get("date_from"), self.cleaned_data.get("date_to")
        return (
            dt.datetime.combine(start, dt.time.min, tzinfo=dt.UTC) if start else None,
            dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)
            if end
            else None,
        )

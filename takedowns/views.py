import datetime as dt
import functools

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import date as date_filter
from django.urls import reverse
from django.utils import timezone, translation
from django.views.decorators.http import require_GET

from access.permissions import (
    case_for_user,
    login_required,
    may_change_draft,
    may_write_requests,
    staff_required,
    supervisor_required,
    takedown_for_user,
)
from evidence.models import Sighting
from hosting.selectors import who_hosts_page
from leakcase.csv_export import csv_writer
from leakcase.forms import DateRangeForm, add_validation_errors, post_only, sent_once
from leakcase.locking import StateChanged
from takedowns import ladder_services, notices, search_forms, selectors, services
from takedowns.forms import (
    CONFIRM_SEND,
    CounterNoticeForm,
    DraftForm,
    EscalateForm,
    HerDraftForm,
    HerSightingsForm,
    LadderSettingForm,
    ReplyForm,
    SightingsChoiceForm,
    SubmittedForm,
)
from takedowns.models import LegalBasis, TakedownStatus


@login_required
@sent_once
def takedown_draft(request, reference):
    """Pick links that are up (or up as far as we know); one draft request per platform."""
    case = case_for_user(request.user, reference)
    if not may_write_requests(request.user):
        return _self_service_refused(request, case)
    live = list(
        Sighting.objects.still_up().filter(case=case).select_related("platform").order_by("host")
    )
    requested = selectors.requests_by_sighting(case)
    for sighting in live:
        sighting.requests = requested.get(sighting.pk, [])
    data = request.POST if request.method == "POST" else None
    hers = not request.user.is_support_staff
    if hers:
        # Her links on a platform whose draft staff are preparing join no draft of hers:
        # that draft is read-only to her (may_change_draft), so she picks among the others.
        staff_drafting = {
            (t.platform_id, t.host)
            for t in case.takedowns.filter(status=TakedownStatus.DRAFT).exclude(
                created_by=request.user
            )
        }
        for sighting in live:
            key = (sighting.platform_id, "" if sighting.platform_id else sighting.host)
            sighting.staff_drafting = key in staff_drafting
        form = HerSightingsForm(data, sightings=[s for s in live if not s.staff_drafting])
    else:
        form = SightingsChoiceForm(data, sightings=live)
    if request.method == "POST" and form.is_valid():
        chosen = [s for s in live if str(s.pk) in form.cleaned_data["sightings"]]
        try:
            drafts = services.takedowns_draft(
                case=case, sightings=chosen, acting_user=request.user
            )
        except ValidationError as error:
            add_validation_errors(form, error)
        else:
            if hers:
                messages.success(
                    request,
                    translation.ngettext(
                        "%(count)s request started, one per platform. Next: the details for each.",
                        "%(count)s requests started, one per platform. Next: the details for "
                        "each.",
                        len(drafts),
                    )
                    % {"count": len(drafts)},
                )
                return _back(drafts[0])
            messages.success(
                request,
                translation.ngettext(
                    "%(count)s draft request, one per platform.",
                    "%(count)s draft requests, one per platform.",
                    len(drafts),
                )
                % {"count": len(drafts)},
            )
            return redirect(f"{reverse('cases:detail', args=[case.reference])}#takedowns")
    return render(
        request,
        "takedowns/her_draft.html" if hers else "takedowns/draft.html",
        {"case": case, "form": form, "live": live},
        status=400 if form.errors else 200,
    )


def _self_service_refused(request, case, takedown=None, *, staff_draft=False):
    """She asked to write a request where she may not: a page that says why and what happens
    instead (403: she may see her case, just not do this)."""
    return render(
        request,
        "takedowns/self_service_off.html",
        {"case": case, "takedown": takedown, "staff_draft": staff_draft},
        status=403,
    )


def _changes_a_draft(view):
    """For a POST that changes a draft request (edit, send, mark submitted): the request,
    fetched through her case (404 to whoever may not see it), or the refusal page to whoever
    may see it but not change it. The view is called with the request's takedown."""

    @login_required
    @post_only("takedowns:detail", back_kwargs=("reference", "takedown_id"))
    @functools.wraps(view)
    def checked(request, reference, takedown_id):
        takedown = takedown_for_user(request.user, reference, takedown_id)
        if not may_change_draft(request.user, takedown):
            return _self_service_refused(
                request,
                takedown.case,
                takedown,
                staff_draft=may_write_requests(request.user),
            )
        return view(request, takedown)

    return checked


def _detail_context(takedown, **overrides):
    notice = selectors.notice_for(takedown)
    offered = selectors.bases_offered(takedown.case, takedown.platform)
    context = {
        "case": takedown.case,
        "takedown": takedown,
        "sightings": list(takedown.sightings.all()),
        "correspondence": list(takedown.correspondence.all()),
        "suggestions": selectors.escalation_suggestions(takedown),
        "ladder": selectors.ladder_view(takedown),
        "is_draft": takedown.status == TakedownStatus.DRAFT,
        "dmca_warning": notices.DMCA_WARNING if takedown.legal_basis == LegalBasis.DMCA else "",
        "needs_approval": selectors.recipient_needs_approval(takedown),
        "consent_given": takedown.case.consent_to_contact_platforms,
        # A search engine's own form, field by field (takedowns.search_forms).
        "search_form_fields": search_forms.form_fields(notice),
        "who_hosts": None if takedown.platform_id else who_hosts_page(takedown.host),
    }
    if takedown.status == TakedownStatus.DRAFT:
        context.update(
            missing=notices.lint(notice),
            preview=notices.render(notice),
            draft_form=DraftForm(instance=takedown, offered=offered),
            submitted_form=SubmittedForm(),
            due_hours=services.due_hours(takedown),
            version=services.draft_version(takedown),
        )
    else:
        context.update(
            reply_form=ReplyForm(),
            counter_form=CounterNoticeForm() if takedown.legal_basis == LegalBasis.DMCA else None,
            escalate_form=EscalateForm(),
        )
    context.update(overrides)
    return context


def _render_detail(request, takedown, status=200, **overrides):
    if status == 400:
        messages.error(
            request,
            translation.gettext("Nothing was changed. The form below says what needs fixing."),
        )
    if not request.user.is_support_staff:
        return _render_her_request(request, takedown, status=status, **overrides)
    return render(
        request, "takedowns/detail.html", _detail_context(takedown, **overrides), status=status
    )


def _render_her_request(request, takedown, status=200, **overrides):
    """Her own page for a request: in her words, never the staff editor. Where self-service
    is on and the draft is hers, the guided form in the first person."""
    sightings = sorted(takedown.sightings.all(), key=lambda s: s.created_at)
    correspondence = list(takedown.correspondence.all())
    hours = services.due_hours(takedown)
    is_draft = takedown.status == TakedownStatus.DRAFT
    context = {
        "case": takedown.case,
        "takedown": takedown,
        "her": selectors.request_for_her(
            takedown, hours=hours, sightings=sightings, correspondence=correspondence
        ),
        "is_draft": is_draft,
        "consent_given": takedown.case.consent_to_contact_platforms,
        "started_by_staff": takedown.created_by_id != request.user.pk,
        "needs_approval": is_draft and selectors.recipient_needs_approval(takedown),
    }
    if is_draft and may_change_draft(request.user, takedown):
        offered = selectors.bases_offered(takedown.case, takedown.platform)
        notice = selectors.notice_for(takedown)
        context.update(
            guided_form=HerDraftForm(instance=takedown, offered=offered),
            version=services.draft_version(takedown),
            missing=notices.lint(notice),
            preview=notices.render(notice),
            submitted_form=SubmittedForm(),
            dmca_warning=notices.DMCA_WARNING if takedown.legal_basis == LegalBasis.DMCA else "",
        )
    elif is_draft:
        context["preview"] = notices.render(selectors.notice_for(takedown))
    else:
        context["reply_form"] = ReplyForm()
    context.update(_in_her_language(takedown))
    context.update(overrides)
    return render(request, "takedowns/her_request.html", context, status=status)


def _in_her_language(takedown) -> dict:
    """The request rendered again in the language she reads the site in, when the platform
    gets it in another: for her to understand what was (or will be) sent, never sent itself
    (templates/takedowns/_notice_in_her_language.html)."""
    hers = (translation.get_language() or settings.LANGUAGE_CODE).lower()
    theirs = notices.platform_language(takedown)
    if hers == theirs.lower():
        return {}
    return {
        "in_her_language": notices.render(selectors.notice_for(takedown), language=hers),
        "her_language_name": translation.get_language_info(hers)["name_translated"],
        "platform_language_name": translation.get_language_info(theirs)["name_translated"],
    }


def _back(takedown):
    return redirect("takedowns:detail", reference=takedown.case.reference, takedown_id=takedown.pk)


def _moved_on(request, takedown, error: StateChanged):
    """The request changed while she acted: back to it as it is now, with the reason."""
    messages.error(request, " ".join(error.messages))
    return _back(takedown)


@login_required
@require_GET
def takedown_detail(request, reference, takedown_id):
    takedown = takedown_for_user(request.user, reference, takedown_id)
    return _render_detail(request, takedown)


@_changes_a_draft
def takedown_edit(request, takedown):
    offered = selectors.bases_offered(takedown.case, takedown.platform)
    hers = not request.user.is_support_staff
    form_class = HerDraftForm if hers else DraftForm
    form = form_class(request.POST, instance=takedown, offered=offered)
    form_name = "guided_form" if hers else "draft_form"
    if form.is_valid():
        try:
            services.takedown_update_draft(
                takedown=takedown,
                acting_user=request.user,
                # A form rendered by an older page carries no version: it saves as before.
                seen_version=request.POST.get("version"),
                **form.cleaned_data,
            )
        except StateChanged as error:
            if error.code != "edited_meanwhile":
                return _moved_on(request, takedown, error)
            # Someone saved first: theirs stays, and hers is shown again, unsaved, for her
            # to check against the draft as it is now (nothing of either is lost).
            messages.error(request, " ".join(error.messages))
            takedown.refresh_from_db()
            return _render_detail(request, takedown, status=409, **{form_name: form})
        except ValidationError as error:
            add_validation_errors(form, error)
        else:
            messages.success(
                request,
                translation.gettext("Saved.")
                if hers
                else translation.gettext("The draft is saved."),
            )
            return _back(takedown)
    takedown.refresh_from_db()
    return _render_detail(request, takedown, status=400, **{form_name: form})


@_changes_a_draft
def takedown_send(request, takedown):
    confirmed_to = request.POST.get("to")
    if confirmed_to is not None and confirmed_to != takedown.recipient_address:
        # Someone changed the address after she was asked: she confirms the new one.
        messages.error(
            request,
            translation.gettext(
                "The recipient changed since you were asked: it is now %(address)s. Nothing "
                "was sent."
            )
            % {"address": takedown.recipient_address}
            if takedown.recipient_address
            else translation.gettext(
                "The recipient changed since you were asked: there is no address now. Nothing "
                "was sent."
            ),
        )
    elif request.POST.get("confirm") == CONFIRM_SEND:
        confirmed_to = True
    if confirmed_to is not True:
        # The first step: everything the send checks, then a page naming the recipient.
        # Only its confirmed POST sends.
        try:
            services.takedown_check_email(takedown=takedown, acting_user=request.user)
        except ValidationError as error:
            return _render_detail(request, takedown, status=400, send_errors=error.messages)
        return render(
            request,
            "takedowns/confirm_send.html",
            {
                "case": takedown.case,
                "takedown": takedown,
                "to": takedown.recipient_address,
                "confirm": CONFIRM_SEND,
                "due_hours": services.due_hours(takedown),
            },
        )

    def send():
        services.takedown_send_email(takedown=takedown, acting_user=request.user)
        return translation.gettext("Sent to %(address)s.") % {
            "address": takedown.recipient_address
        }

    return _draft_leaves(request, takedown, send)


@_changes_a_draft
def takedown_submitted(request, takedown):
    form = SubmittedForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, takedown, status=400, submitted_form=form)

    def mark_submitted():
        services.takedown_mark_submitted(
            takedown=takedown,
            ticket_number=form.cleaned_data["ticket_number"],
            acting_user=request.user,
        )
        return translation.gettext("Recorded as submitted.")

    return _draft_leaves(request, takedown, mark_submitted)


def _draft_leaves(request, takedown, send):
    """The draft goes to the platform, by our email or by her submitting the platform's
    form: `send` calls the service and returns what was done. Either way the same checks
    refuse it (said above the send button), and the platform's clock starts."""
    try:
        done = send()
    except StateChanged as error:
        return _moved_on(request, takedown, error)
    except ValidationError as error:
        return _render_detail(request, takedown, status=400, send_errors=error.messages)
    messages.success(
        request,
        # Translators: %(done)s is a sentence such as "Sent to abuse@example.com.".
        translation.gettext("%(done)s The answer is due by %(when)s UTC.")
        % {"done": done, "when": date_filter(takedown.due_at, "d M Y, H:i")},
    )
    return _back(takedown)


def _takedown_form_view(form_class, service, context_name, done):
    """A POST that records something on a sent request: validate, call the service, go
    back to the request, or show the form with its errors and change nothing."""

    @login_required
    @post_only("takedowns:detail", back_kwargs=("reference", "takedown_id"))
    def view(request, reference, takedown_id):
        takedown = takedown_for_user(request.user, reference, takedown_id)
        form = form_class(request.POST)
        if form.is_valid():
            try:
                service(takedown=takedown, acting_user=request.user, **form.cleaned_data)
            except StateChanged as error:
                return _moved_on(request, takedown, error)
            except ValidationError as error:
                add_validation_errors(form, error)
            else:
                messages.success(request, done)
                return _back(takedown)
        takedown.refresh_from_db()
        return _render_detail(request, takedown, status=400, **{context_name: form})

    return view


def _staff_action(service, done):
    """A staff-only button on a request: 404 to anyone else; a refusal is said at the top."""

    @staff_required
    @post_only("takedowns:detail", back_kwargs=("reference", "takedown_id"))
    def view(request, reference, takedown_id):
        takedown = takedown_for_user(request.user, reference, takedown_id)
        try:
            service(takedown=takedown, acting_user=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, done)
        return _back(takedown)

    return view


takedown_approve_recipient = _staff_action(
    services.takedown_approve_recipient,
    translation.gettext_lazy("The address is approved: the request can go to it."),
)
takedown_skip_rung = _staff_action(
    ladder_services.takedown_ladder_skip,
    "This rung is passed over: the draft now goes to the next rung.",
)
takedown_host_lookup = _staff_action(
    services.takedown_host_lookup_request,
    "Asked: the host is looked up again within a few minutes. Reload this page to see it.",
)
takedown_confirm_decision = _staff_action(
    services.takedown_confirm_decision,
    translation.gettext_lazy(
        "Her recorded reply is confirmed; it counts in the platform figures now."
    ),
)

takedown_reply = _takedown_form_view(
    ReplyForm,
    services.takedown_record_reply,
    "reply_form",
    translation.gettext_lazy("The reply is recorded."),
)
takedown_counter_notice = _takedown_form_view(
    CounterNoticeForm,
    services.takedown_record_counter_notice,
    "counter_form",
    translation.gettext_lazy("The counter-notice and its restore window are recorded."),
)
takedown_escalate = _takedown_form_view(
    EscalateForm,
    services.takedown_escalate,
    "escalate_form",
    translation.gettext_lazy("The request is marked escalated."),
)


# --- how each platform answers: the figures ---------------------------------------------


# Without dates chosen, the figures are of requests sent in the last 90 days: recent enough
# to say how a platform answers now, long enough to hold a few requests to most of them.
FIGURES_DEFAULT_DAYS = 90


@supervisor_required
@require_GET
def platform_figures(request):
    """Figures of the requests sent between two dates (by default the last 90 days), the
    same in the table, the chart and the CSV. Dates that cannot be read are said, with a
    400, never replaced by the default."""
    params = request.GET.copy()
    chosen = bool(params.get("date_from") or params.get("date_to"))
    if not chosen:
        today = timezone.now().astimezone(dt.UTC).date()
        params["date_from"] = (today - dt.timedelta(days=FIGURES_DEFAULT_DAYS - 1)).isoformat()
        params["date_to"] = today.isoformat()
    form = DateRangeForm(params)
    if not form.is_valid():
        messages.error(
            request,
            translation.gettext("No figures are shown: the dates need fixing (see below)."),
        )
        return render(request, "takedowns/figures.html", {"form": form}, status=400)
    sent_since, sent_before = form.utc_range()
    # Every change committed so far first (usually none: the beat refreshes each minute).
    services.platform_figures_refresh()
    summary = selectors.platform_figures_summary(sent_since=sent_since, sent_before=sent_before)
    figures = summary.figures
    date_from, date_to = form.cleaned_data["date_from"], form.cleaned_data["date_to"]
    if request.GET.get("format") == "csv":
        return _figures_csv(figures, date_from, date_to)
    longest = max((row.p90_hours or 0 for row in figures), default=0) or 1
    params.pop("format", None)
    return render(
        request,
        "takedowns/figures.html",
        {
            "form": form,
            "figures": figures,
            "rung_figures": selectors.rung_figures(sent_since=sent_since, sent_before=sent_before),
            "chart_max": longest,
            "chart_height": 28 * len(figures) + 30,
            "date_from": date_from,
            "date_to": date_to,
            "default_range": not chosen,
            "default_days": FIGURES_DEFAULT_DAYS,
            "range_query": params.urlencode(),
            "as_of": timezone.now(),
        },
    )


def _figures_csv(figures, date_from, date_to) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    span = f"{date_from or 'start'}-to-{date_to or 'now'}"
    response["Content-Disposition"] = f'attachment; filename="platform-figures-{span}.csv"'
    writer = csv_writer(response)
    writer.writerow(
        [
            "platform",
            "sent",
            "removed",
            "rejected",
            "removal_rate",
            "median_hours",
            "p90_hours",
            "within_48h_share",
            "sent_from",
            "sent_to",
        ]
    )
    for row in figures:
        writer.writerow(
            [
                row.platform,
                row.sent,
                row.removed,
                row.rejected,
                _fmt(row.removal_rate),
                _fmt(row.median_hours),
                _fmt(row.p90_hours),
                _fmt(row.within_48h_share),
                date_from.isoformat() if date_from else "",
                date_to.isoformat() if date_to else "",
            ]
        )
    return response


def _fmt(value):
    return "" if value is None else f"{value:.4f}"


# --- the ladder's waits and automatic sending ------------------------------------------


@supervisor_required
def ladder_settings(request):
    """Each rung's wait (its default and source, or the service's own) and whether its
    drafts go out by themselves. One rung changed per POST."""
    form = LadderSettingForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                ladder_services.ladder_setting_change(
                    acting_user=request.user, **form.cleaned_data
                )
            except ValidationError as error:
                add_validation_errors(form, error)
            else:
                messages.success(request, "The ladder's setting is saved.")
                return redirect("platforms:ladder")
        messages.error(request, "Nothing was changed. The form below says what needs fixing.")
    return render(
        request,
        "takedowns/ladder_settings.html",
        {"form": form, "rows": selectors.ladder_settings_rows()},
        status=400 if form.errors else 200,
    )

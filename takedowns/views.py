from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from access.permissions import (
    case_for_user,
    login_required,
    staff_required,
    supervisor_required,
    takedown_for_user,
)
from evidence.models import SightingStatus
from leakcase.csv_export import csv_writer
from leakcase.forms import add_validation_errors, post_only, sent_once
from leakcase.locking import StateChanged
from takedowns import notices, selectors, services
from takedowns.forms import (
    CounterNoticeForm,
    DraftForm,
    EscalateForm,
    ReplyForm,
    SightingsChoiceForm,
    SubmittedForm,
)
from takedowns.models import LegalBasis, TakedownStatus


@login_required
@sent_once
def takedown_draft(request, reference):
    """Pick live sightings; they become one draft request per platform."""
    case = case_for_user(request.user, reference)
    live = list(
        case.sightings.filter(status=SightingStatus.LIVE)
        .select_related("platform")
        .order_by("host")
    )
    form = SightingsChoiceForm(request.POST if request.method == "POST" else None, sightings=live)
    if request.method == "POST" and form.is_valid():
        chosen = [s for s in live if str(s.pk) in form.cleaned_data["sightings"]]
        try:
            drafts = services.takedowns_draft(
                case=case, sightings=chosen, acting_user=request.user
            )
        except ValidationError as error:
            add_validation_errors(form, error)
        else:
            messages.success(request, f"{len(drafts)} draft request(s), one per platform.")
            return redirect(f"{reverse('cases:detail', args=[case.reference])}#takedowns")
    return render(
        request,
        "takedowns/draft.html",
        {"case": case, "form": form, "live": live},
        status=400 if form.errors else 200,
    )


def _detail_context(takedown, **overrides):
    notice = selectors.notice_for(takedown)
    offered = selectors.bases_offered(takedown.case, takedown.platform)
    context = {
        "case": takedown.case,
        "takedown": takedown,
        "sightings": list(takedown.sightings.all()),
        "correspondence": list(takedown.correspondence.all()),
        "suggestions": selectors.escalation_suggestions(takedown),
        "is_draft": takedown.status == TakedownStatus.DRAFT,
        "dmca_warning": notices.DMCA_WARNING if takedown.legal_basis == LegalBasis.DMCA else "",
        "needs_approval": selectors.recipient_needs_approval(takedown),
        "consent_given": takedown.case.consent_to_contact_platforms,
    }
    if takedown.status == TakedownStatus.DRAFT:
        context.update(
            missing=notices.lint(notice),
            preview=notices.render(notice),
            draft_form=DraftForm(instance=takedown, offered=offered),
            submitted_form=SubmittedForm(),
            due_hours=services.due_hours(takedown),
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
        messages.error(request, "Nothing was changed. The form below says what needs fixing.")
    return render(
        request, "takedowns/detail.html", _detail_context(takedown, **overrides), status=status
    )


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


@login_required
@post_only("takedowns:detail", back_kwargs=("reference", "takedown_id"))
def takedown_edit(request, reference, takedown_id):
    takedown = takedown_for_user(request.user, reference, takedown_id)
    offered = selectors.bases_offered(takedown.case, takedown.platform)
    form = DraftForm(request.POST, instance=takedown, offered=offered)
    if form.is_valid():
        try:
            services.takedown_update_draft(
                takedown=takedown, acting_user=request.user, **form.cleaned_data
            )
        except StateChanged as error:
            return _moved_on(request, takedown, error)
        except ValidationError as error:
            add_validation_errors(form, error)
        else:
            messages.success(request, "The draft is saved.")
            return _back(takedown)
    takedown.refresh_from_db()
    return _render_detail(request, takedown, status=400, draft_form=form)


@login_required
@post_only("takedowns:detail", back_kwargs=("reference", "takedown_id"))
def takedown_send(request, reference, takedown_id):
    takedown = takedown_for_user(request.user, reference, takedown_id)
    try:
        services.takedown_send_email(takedown=takedown, acting_user=request.user)
    except StateChanged as error:
        return _moved_on(request, takedown, error)
    except ValidationError as error:
        return _render_detail(request, takedown, status=400, send_errors=error.messages)
    messages.success(
        request,
        f"Sent to {takedown.recipient_address}. The answer is due by "
        f"{takedown.due_at:%d %b %Y, %H:%M} UTC.",
    )
    return _back(takedown)


@login_required
@post_only("takedowns:detail", back_kwargs=("reference", "takedown_id"))
def takedown_submitted(request, reference, takedown_id):
    takedown = takedown_for_user(request.user, reference, takedown_id)
    form = SubmittedForm(request.POST)
    if form.is_valid():
        try:
            services.takedown_mark_submitted(
                takedown=takedown,
                ticket_number=form.cleaned_data["ticket_number"],
                acting_user=request.user,
            )
        except StateChanged as error:
            return _moved_on(request, takedown, error)
        except ValidationError as error:
            return _render_detail(request, takedown, status=400, send_errors=error.messages)
        messages.success(
            request,
            f"Recorded as submitted. The answer is due by {takedown.due_at:%d %b %Y, %H:%M} UTC.",
        )
        return _back(takedown)
    return _render_detail(request, takedown, status=400, submitted_form=form)


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
    services.takedown_approve_recipient, "The address is approved: the request can go to it."
)
takedown_confirm_decision = _staff_action(
    services.takedown_confirm_decision,
    "Her recorded reply is confirmed; it counts in the platform figures now.",
)

takedown_reply = _takedown_form_view(
    ReplyForm, services.takedown_record_reply, "reply_form", "The reply is recorded."
)
takedown_counter_notice = _takedown_form_view(
    CounterNoticeForm,
    services.takedown_record_counter_notice,
    "counter_form",
    "The counter-notice and its restore window are recorded.",
)
takedown_escalate = _takedown_form_view(
    EscalateForm,
    services.takedown_escalate,
    "escalate_form",
    "The request is marked escalated.",
)


# --- how each platform answers: the figures ---------------------------------------------


@supervisor_required
@require_GET
def platform_figures(request):
    figures = selectors.platform_figures()
    if request.GET.get("format") == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="platform-figures.csv"'
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
                ]
            )
        return response
    longest = max((row.p90_hours or 0 for row in figures), default=0) or 1
    return render(
        request,
        "takedowns/figures.html",
        {"figures": figures, "chart_max": longest, "chart_height": 28 * len(figures) + 30},
    )


def _fmt(value):
    return "" if value is None else f"{value:.4f}"

import logging

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from access.permissions import case_for_user, cases_visible_to, login_required, staff_required
from accounts.selectors import email_is_verified
from cases import selectors, services
from cases.forms import (
    AssignForm,
    CaseloadFilterForm,
    CaseOpenForCallerForm,
    CaseOpenForm,
    ConsentForm,
    NoteForm,
    NoticeContactForm,
    StatusForm,
    TriageForm,
)
from cases.pages import render_case_page
from leakcase.forms import add_validation_errors
from leakcase.locking import StateChanged
from outbox.models import EmailStatus

log = logging.getLogger(__name__)
CASELOAD_PAGE_SIZE = 25


def home(request):
    if request.user.is_authenticated:
        if request.user.is_support_staff:
            return redirect("cases:caseload")
        return redirect("cases:list")
    return render(request, "home.html")


@login_required
@require_GET
def case_list(request):
    if request.user.is_support_staff:
        return redirect("cases:caseload")
    cases = selectors.cases_for_dashboard(cases_visible_to(request.user))
    return render(
        request,
        "cases/case_list.html",
        {"cases": cases, "email_unverified": not email_is_verified(request.user)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def case_open(request):
    if request.user.is_support_staff:
        return redirect("cases:open_for_caller")
    form = CaseOpenForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        case = services.case_open(
            survivor=request.user, acting_user=request.user, **form.cleaned_data
        )
        messages.success(request, f"Case {case.reference} is open. Add the links you have seen.")
        return redirect("cases:detail", reference=case.reference)
    return render(
        request, "cases/case_open.html", {"form": form}, status=400 if form.errors else 200
    )


# --- staff: the caseload -----------------------------------------------------------------


@staff_required
@require_GET
def caseload(request):
    tabs = selectors.caseload_tabs_for(request.user)
    tab = request.GET.get("tab") or "mine"
    form = CaseloadFilterForm(request.GET)
    filters = form.cleaned_data if form.is_valid() else {}
    query = selectors.CaseloadQuery(
        tab=tab,
        status=filters.get("status", ""),
        priority=filters.get("priority", ""),
        platform=filters.get("platform", ""),
        q=filters.get("q", ""),
        sort=filters.get("sort", ""),
    )
    cases = selectors.caseload_for(request.user, query, cases=cases_visible_to(request.user))
    page = Paginator(cases, CASELOAD_PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    sort_params = params.copy()
    sort_params.pop("sort", None)
    return render(
        request,
        "cases/caseload.html",
        {
            "tabs": tabs,
            "query": query,
            "form": form,
            "page": page,
            "query_string": params.urlencode(),
            "sort_base": sort_params.urlencode(),
            "assign_form": AssignForm() if request.user.is_supervisor else None,
            "email_unverified": not email_is_verified(request.user),
        },
    )


@staff_required
@require_POST
def caseload_assign(request):
    """Take (or, for supervisors, give) several cases from the unassigned queue at once."""
    references = request.POST.getlist("case")
    to = request.user
    if request.user.is_supervisor and request.POST.get("assigned_to"):
        form = AssignForm(request.POST)
        if not form.is_valid() or form.cleaned_data["assigned_to"] is None:
            messages.error(request, "Choose a caseworker or supervisor to assign the cases to.")
            return redirect(f"{reverse('cases:caseload')}?tab=unassigned")
        to = form.cleaned_data["assigned_to"]
    if not references:
        messages.error(request, "Tick at least one case to assign.")
        return redirect(f"{reverse('cases:caseload')}?tab=unassigned")
    visible = cases_visible_to(request.user).filter(reference__in=references)
    assigned, skipped = services.cases_assign_from_queue(
        references=list(visible.values_list("reference", flat=True)),
        to=to,
        acting_user=request.user,
    )
    skipped += [ref for ref in references if ref not in {c.reference for c in assigned}]
    if assigned:
        who = "you" if to == request.user else str(to)
        messages.success(request, f"{len(assigned)} case(s) assigned to {who}.")
    if set(skipped):
        messages.error(
            request,
            "Not assigned (already taken or not in the queue): " + ", ".join(sorted(set(skipped))),
        )
    return redirect(f"{reverse('cases:caseload')}?tab=unassigned")


@staff_required
@require_http_methods(["GET", "POST"])
def case_open_for_caller(request):
    form = CaseOpenForCallerForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        case = services.case_open_for_caller(acting_user=request.user, **form.cleaned_data)
        _send_invitation(request, case)
        return redirect("cases:detail", reference=case.reference)
    return render(
        request,
        "cases/case_open_for_caller.html",
        {"form": form},
        status=400 if form.errors else 200,
    )


# --- the case file -------------------------------------------------------------------------


@login_required
@require_GET
def case_detail(request, reference):
    case = case_for_user(request.user, reference)
    return render_case_page(request, case)


def _moved_on(request, case, error: StateChanged):
    """The case changed while she acted: back to it as it is now, with the reason."""
    messages.error(request, " ".join(error.messages))
    return redirect("cases:detail", reference=case.reference)


@staff_required
@require_POST
def case_triage(request, reference):
    case = case_for_user(request.user, reference)
    form = TriageForm(request.POST)
    if form.is_valid():
        try:
            services.case_triage(case=case, acting_user=request.user, **form.cleaned_data)
        except StateChanged as error:
            return _moved_on(request, case, error)
        messages.success(request, f"Priority is {case.get_priority_display().lower()}.")
        return redirect("cases:detail", reference=case.reference)
    return render_case_page(request, case, status=400, triage_form=form)


@staff_required
@require_POST
def case_status(request, reference):
    case = case_for_user(request.user, reference)
    form = StatusForm(request.POST)
    if form.is_valid():
        try:
            services.case_change_status(
                case=case, to=form.cleaned_data["status"], acting_user=request.user
            )
        except StateChanged as error:
            return _moved_on(request, case, error)
        except ValidationError as error:
            add_validation_errors(form, error)
        else:
            messages.success(request, f"The case is now {case.get_status_display().lower()}.")
            return redirect("cases:detail", reference=case.reference)
    return render_case_page(request, case, status=400, status_form=form)


@staff_required
@require_POST
def case_assign(request, reference):
    """action=take (to me), release (back to the queue), or a supervisor's assigned_to."""
    case = case_for_user(request.user, reference)
    action = request.POST.get("action")
    form = AssignForm(request.POST)
    if action == "take":
        to = request.user
    elif action == "release":
        to = None
    elif request.user.is_supervisor and form.is_valid():
        to = form.cleaned_data["assigned_to"]
    else:
        return render_case_page(request, case, status=400, assign_form=form)
    try:
        services.case_assign(case=case, to=to, acting_user=request.user)
    except (ValidationError, PermissionDenied) as error:
        text = " ".join(getattr(error, "messages", [str(error)]))
        messages.error(request, text)
        return redirect("cases:detail", reference=case.reference)
    if to is None:
        messages.success(request, "The case is back in the unassigned queue.")
    else:
        who = "you" if to == request.user else str(to)
        messages.success(request, f"The case is assigned to {who}.")
    return redirect("cases:detail", reference=case.reference)


@staff_required
@require_POST
def note_add(request, reference):
    case = case_for_user(request.user, reference)
    form = NoteForm(request.POST)
    if form.is_valid():
        services.note_add(case=case, acting_user=request.user, **form.cleaned_data)
        messages.success(request, "The note is saved.")
        return redirect(f"{reverse('cases:detail', args=[case.reference])}#notes")
    return render_case_page(request, case, status=400, note_form=form)


@login_required
@require_POST
def case_consent(request, reference):
    """She gives or withdraws her consent; staff record what she told them."""
    case = case_for_user(request.user, reference)
    form = ConsentForm(request.POST, for_staff=request.user.is_support_staff)
    if form.is_valid():
        given = form.cleaned_data["consent"] == "give"
        try:
            services.case_set_consent(
                case=case,
                given=given,
                acting_user=request.user,
                note=form.cleaned_data.get("note", ""),
            )
        except ValidationError as error:
            add_validation_errors(form, error)
        else:
            messages.success(request, _consent_done(request.user, case, given))
            return redirect(f"{reverse('cases:detail', args=[case.reference])}#consent")
    return render_case_page(request, case, status=400, consent_form=form)


def _consent_done(user, case, given: bool) -> str:
    if user.pk == case.survivor_id:
        if given:
            return "Thank you. LeakCase may now write to platforms for you."
        return "Your consent is withdrawn. Nothing more is sent to platforms for you."
    if given:
        return "Her consent is recorded."
    return "Her withdrawal is recorded. Nothing more is sent to platforms for her."


@login_required
@require_POST
def case_notice_contact(request, reference):
    case = case_for_user(request.user, reference)
    form = NoticeContactForm(request.POST, case=case, for_staff=request.user.is_support_staff)
    if form.is_valid():
        try:
            services.case_set_notice_contact(
                case=case,
                notice_contact=form.cleaned_data["notice_contact"],
                acting_user=request.user,
                note=form.cleaned_data.get("note", ""),
            )
        except ValidationError as error:
            add_validation_errors(form, error)
        else:
            messages.success(request, "The contact address for notices is saved.")
            return redirect(f"{reverse('cases:detail', args=[case.reference])}#consent")
    return render_case_page(request, case, status=400, notice_contact_form=form)


@staff_required
@require_POST
def invitation_issue(request, reference):
    case = case_for_user(request.user, reference)
    if case.survivor_id is not None:
        messages.error(request, "This case already belongs to a survivor's account.")
    else:
        _send_invitation(request, case)
    return redirect("cases:detail", reference=case.reference)


def _send_invitation(request, case):
    token = services.invitation_issue(case=case, acting_user=request.user)
    link = request.build_absolute_uri(reverse("cases:claim", args=[token]))
    email = services.invitation_email_send(case=case, link=link)
    if email.status != EmailStatus.SENT:
        # Only the error's name: a mail server's refusal quotes the recipient's address.
        error = email.last_error.split(":", 1)[0]
        log.error("invitation email for case %s failed: %s", case.pk, error)
        messages.error(request, "The invitation email could not be sent; give her the link.")
    else:
        messages.success(request, f"An invitation was sent to {case.contact_email}.")
    messages.info(request, f"Claim link (works once, for 14 days): {link}")


# --- the survivor claims a case opened for her ------------------------------------------


@require_http_methods(["GET", "POST"])
def invitation_claim(request, token):
    try:
        case = services.invitation_case(token)
    except services.InvitationInvalid as error:
        return render(request, "cases/claim.html", {"error": str(error)}, status=400)
    if not request.user.is_authenticated:
        return render(request, "cases/claim.html", {"case": case, "next": request.path})
    if request.user.is_support_staff:
        return render(
            request,
            "cases/claim.html",
            {"error": "Staff accounts cannot claim a case. Log out first."},
            status=400,
        )
    if request.method == "POST":
        try:
            case = services.invitation_claim(token=token, user=request.user)
        except services.InvitationInvalid as error:
            return render(request, "cases/claim.html", {"error": str(error)}, status=400)
        messages.success(request, "The case is now in your account.")
        return redirect("cases:detail", reference=case.reference)
    return render(request, "cases/claim.html", {"case": case, "next": request.path})

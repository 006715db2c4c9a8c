import logging

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext

from access.permissions import case_for_user, cases_visible_to, login_required, staff_required
from cases import services
from cases.forms import (
    AssignForm,
    CaseOpenForCallerForm,
    CaseOpenForm,
)
from leakcase.forms import post_only, sent_once
from outbox.models import EmailStatus

log = logging.getLogger(__name__)


def home(request):
    if request.user.is_authenticated:
        if request.user.is_support_staff:
            return redirect("cases:caseload")
        return redirect("cases:list")
    return render(request, "home.html")


@login_required
@sent_once
def case_open(request):
    if request.user.is_support_staff:
        return redirect("cases:open_for_caller")
    form = CaseOpenForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        case = services.case_open(
            survivor=request.user, acting_user=request.user, **form.cleaned_data
        )
        messages.success(
            request,
            gettext("Case %(reference)s is open. Add the links you have seen.")
            % {"reference": case.reference},
        )
        return redirect("cases:detail", reference=case.reference)
    return render(
        request, "cases/case_open.html", {"form": form}, status=400 if form.errors else 200
    )


# --- staff: the caseload -----------------------------------------------------------------


@staff_required
@post_only("cases:caseload", back_kwargs=())
def caseload_assign(request):
    """Take (or, for supervisors, give) several cases from the unassigned queue at once."""
    references = request.POST.getlist("case")
    to = request.user
    if request.user.is_supervisor and request.POST.get("assigned_to"):
        form = AssignForm(request.POST)
        if not form.is_valid() or form.cleaned_data["assigned_to"] is None:
            messages.error(
                request, gettext("Choose a caseworker or supervisor to assign the cases to.")
            )
            return redirect(f"{reverse('cases:caseload')}?tab=unassigned")
        to = form.cleaned_data["assigned_to"]
    if not references:
        messages.error(request, gettext("Tick at least one case to assign."))
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
@sent_once
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


@staff_required
@post_only("cases:detail")
def invitation_issue(request, reference):
    case = case_for_user(request.user, reference)
    if case.survivor_id is not None:
        messages.error(request, gettext("This case already belongs to a survivor's account."))
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
        messages.error(
            request, gettext("The invitation email could not be sent; give her the link.")
        )
    else:
        messages.success(
            request,
            gettext("An invitation was sent to %(email)s.") % {"email": case.contact_email},
        )
    messages.info(
        request, gettext("Claim link (works once, for 14 days): %(link)s") % {"link": link}
    )


# --- the survivor claims a case opened for her ------------------------------------------


@sent_once
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
            {"error": gettext("Staff accounts cannot claim a case. Log out first.")},
            status=400,
        )
    if request.method == "POST":
        try:
            case = services.invitation_claim(token=token, user=request.user)
        except services.InvitationInvalid as error:
            return render(request, "cases/claim.html", {"error": str(error)}, status=400)
        messages.success(request, gettext("The case is now in your account."))
        return redirect("cases:detail", reference=case.reference)
    return render(request, "cases/claim.html", {"case": case, "next": request.path})

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from access.permissions import supervisor_required
from leakcase.forms import post_only
from outbox import selectors, services
from outbox.forms import NEEDS_A_LOOK, OutboxFilterForm
from outbox.models import PROBLEM_STATUSES, OutgoingEmail

OUTBOX_PAGE_SIZE = 50


@supervisor_required
@require_GET
def outbox(request):
    """Every kind of email, counted by state, and the emails of the kind and state chosen
    (by default those that need a look). A filter it does not know is refused, not ignored."""
    counts = selectors.outbox_counts()
    params = request.GET.copy()
    params.setdefault("state", NEEDS_A_LOOK)
    form = OutboxFilterForm(params, other_kinds=counts.other_kinds)
    context = {
        "counts": counts,
        "summary": selectors.outbox_summary(now=timezone.now(), counts=counts),
        "form": form,
        "needs_a_look": NEEDS_A_LOOK,
    }
    if not form.is_valid():
        messages.error(request, "Those filters were not understood; no emails are listed.")
        return render(request, "outbox/outbox.html", context, status=400)
    kind, state = form.cleaned_data["kind"], form.cleaned_data["state"]
    emails = selectors.outbox_emails(
        kind=kind,
        status="" if state == NEEDS_A_LOOK else state,
        problems_only=state == NEEDS_A_LOOK,
    )
    page = Paginator(emails, OUTBOX_PAGE_SIZE).get_page(request.GET.get("page"))
    params.pop("page", None)
    context.update(
        page=page,
        query_string=params.urlencode(),
        kind_label=dict(form.fields["kind"].choices).get(kind, ""),
        state_label=dict(form.fields["state"].choices).get(state, ""),
        filtered=bool(kind) or state != NEEDS_A_LOOK,
    )
    return render(request, "outbox/outbox.html", context)


@supervisor_required
@post_only("outbox:outbox", back_kwargs=())
def outbox_send_again(request, email_id):
    email = get_object_or_404(OutgoingEmail, pk=email_id, status__in=PROBLEM_STATUSES)
    if email.sent_again_by_its_owner:
        messages.error(
            request,
            "A notice is sent again from its request's page, and a reminder by the next "
            "reminder run; nothing was queued.",
        )
    elif services.outgoing_send_again(email=email, acting_user=request.user):
        messages.success(request, "The email is queued and goes out within five minutes.")
    return redirect("outbox:outbox")

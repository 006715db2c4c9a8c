from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from access.permissions import supervisor_required
from leakcase.forms import post_only
from outbox import services
from outbox.models import PROBLEM_STATUSES, OutgoingEmail
from outbox.selectors import outbox_problems, outbox_summary


@supervisor_required
@require_GET
def outbox(request):
    return render(
        request,
        "outbox/outbox.html",
        {"problems": outbox_problems(), "summary": outbox_summary(now=timezone.now())},
    )


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

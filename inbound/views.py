"""Staff's pages for mail that came back: the inbox of what no rule could file, a
message's page, filing by hand, confirming a decision, and downloads."""

import re

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from access.permissions import (
    cases_visible_to,
    inbound_attachment_for_user,
    inbound_message_for_user,
    staff_required,
    takedown_for_user,
)
from audit.models import AuditKind
from audit.services import audit_record
from inbound import selectors, services, vault
from inbound.forms import ConfirmForm, FileByHandForm
from leakcase.forms import post_only
from leakcase.locking import StateChanged

INBOX_PAGE_SIZE = 100
SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


@staff_required
@require_GET
def inbox(request):
    waiting = list(selectors.inbox_messages()[:INBOX_PAGE_SIZE])
    return render(
        request,
        "inbound/inbox.html",
        {
            "unfiled": [m for m in waiting if m.status == "inbox"],
            "quarantined": [m for m in waiting if m.status == "quarantined"],
        },
    )


@staff_required
@require_GET
def message_detail(request, message_id):
    message = inbound_message_for_user(request.user, message_id)
    query = request.GET.get("q", "").strip()[:100]
    found = (
        list(selectors.requests_matching(query, within=cases_visible_to(request.user)))
        if query and message.takedown_id is None
        else []
    )
    return render(
        request,
        "inbound/message.html",
        {
            "message": message,
            "attachments": _named(message.attachments.all()),
            "query": query,
            "found": found,
            "confirm_form": ConfirmForm(),
        },
    )


def _named(attachments):
    named = []
    for attachment in attachments:
        attachment.name = vault.attachment_name(attachment) or "(no name)"
        named.append(attachment)
    return named


def _back_to_message(request, message_id):
    from django.urls import reverse

    return reverse("inbound:message", kwargs={"message_id": message_id})


@staff_required
@post_only(_back_to_message)
def message_file(request, message_id):
    message = inbound_message_for_user(request.user, message_id)
    form = FileByHandForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose the request to file it on. Nothing was changed.")
        return redirect("inbound:message", message_id=message.pk)
    takedown = takedown_for_user(
        request.user, form.cleaned_data["reference"], form.cleaned_data["takedown"]
    )
    try:
        services.inbound_file_by_hand(message=message, takedown=takedown, acting_user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("inbound:message", message_id=message.pk)
    messages.success(request, f"Filed on the request to {takedown.recipient}.")
    return redirect("takedowns:detail", reference=takedown.case.reference, takedown_id=takedown.pk)


@staff_required
@post_only(_back_to_message)
def message_confirm(request, message_id):
    message = inbound_message_for_user(request.user, message_id)
    form = ConfirmForm(request.POST)
    decision = form.cleaned_data["decision"] if form.is_valid() else None
    try:
        if not form.is_valid():
            raise ValidationError("Choose what the answer says.")
        message = services.inbound_confirm_decision(
            message=message, acting_user=request.user, decision=decision or None
        )
    except (ValidationError, StateChanged) as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            f"Confirmed: {message.get_confirmed_decision_display().lower()}. "
            "She sees it on her request page now.",
        )
    if message.takedown_id is None:
        return redirect("inbound:message", message_id=message.pk)
    return redirect(
        "takedowns:detail",
        reference=message.takedown.case.reference,
        takedown_id=message.takedown_id,
    )


def _download(body: bytes, filename: str) -> HttpResponse:
    """Always a download, never shown in our pages' origin: an HTML or SVG attachment
    opened inline could run script as LeakCase."""
    response = HttpResponse(body, content_type="application/octet-stream")
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "no-store, private"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response


@staff_required
@require_GET
def message_raw(request, message_id):
    message = inbound_message_for_user(request.user, message_id)
    raw = vault.read_raw(message)
    audit_record(
        kind=AuditKind.MAIL_DOWNLOADED,
        actor=request.user,
        target=f"inbound:raw message={str(message.pk)[:8]}",
    )
    return _download(raw, f"message-{message.received_at:%Y-%m-%d}-{str(message.pk)[:8]}.eml")


@staff_required
@require_GET
def attachment_download(request, message_id, attachment_id):
    attachment = inbound_attachment_for_user(request.user, message_id, attachment_id)
    body = vault.read_attachment(attachment)
    name = SAFE_NAME.sub("_", vault.attachment_name(attachment))[:100].strip("._")
    audit_record(
        kind=AuditKind.MAIL_DOWNLOADED,
        actor=request.user,
        target=f"inbound:attachment message={str(attachment.message_id)[:8]}",
        detail={"bytes": attachment.size},
    )
    return _download(body, name or f"attachment-{str(attachment.pk)[:8]}")

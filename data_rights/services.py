"""Writes about her rights over her data: the erasure of a survivor's account and of every
case of hers, across every app (cases, evidence and its sealed files, takedowns, the outbox),
keeping only what platforms did, anonymously, and that an erasure happened."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction

from accounts.models import Role, User
from accounts.services import account_delete
from audit.models import AuditKind
from audit.services import audit_record
from cases.models import Case
from evidence import vault
from evidence.models import EvidenceFile
from inbound import vault as mail_vault
from inbound.models import InboundMessage
from outbox.models import OutgoingEmail
from takedowns.models import AnonymousOutcome, Correspondence, TakedownRequest


def account_erase(*, user: User, password: str) -> dict:
    """Erase a survivor's account and every case of hers: evidence files leave storage, rows
    and hashes are deleted. What platforms did with her sent requests stays, anonymously, for
    the platform figures. Returns the counts erased."""
    if user.role != Role.SURVIVOR:
        raise PermissionDenied("Staff accounts are closed by an administrator.")
    if not user.check_password(password):
        raise ValidationError({"password": "That password is not right. Nothing was erased."})
    cases = Case.objects.filter(survivor=user)
    evidence = list(EvidenceFile.objects.filter(case__in=cases))
    # Platforms' emails filed on her requests: rows go with the requests, sealed copies here.
    mail = list(
        InboundMessage.objects.filter(takedown__case__in=cases).prefetch_related("attachments")
    )
    with transaction.atomic():
        sent = TakedownRequest.objects.filter(case__in=cases, sent_at__isnull=False)
        AnonymousOutcome.objects.bulk_create(
            AnonymousOutcome(
                platform_id=t.platform_id,
                legal_basis=t.legal_basis,
                status=status,
                sent_at=t.sent_at,
                removed_at=removed_at,
            )
            for t in sent
            # An outcome she recorded herself and nobody confirmed is kept as none yet.
            for status, removed_at in [t.outcome_for_figures()]
        )
        counts = {"cases": cases.count(), "evidence files": len(evidence)}
        # Kept after she is gone: that an erasure happened, when and how much (an id, no name).
        audit_record(kind=AuditKind.ERASURE, actor=user, detail=counts)
        emails = _her_emails(user, cases)
        cases.delete()  # sightings, evidence rows, hashes, notes, requests, timeline cascade
        emails.delete()
        account_delete(user=user)
        # Files go once the rows are gone for good; a rollback keeps both.
        transaction.on_commit(lambda: [vault.delete_files(e) for e in evidence])
        transaction.on_commit(
            lambda: [mail_vault.delete_files(m, list(m.attachments.all())) for m in mail]
        )
    return counts


def _her_emails(user: User, cases):
    """Emails in the outbox that hold something of hers and are not hers by account (those
    go with her account): her requests' notices and reminders, and the invitations sent to
    her cases' contact addresses. Read before her cases are deleted."""
    letters = Correspondence.objects.filter(
        takedown__case__in=cases, email__isnull=False
    ).values_list("email_id", flat=True)
    addresses = {user.email.lower()}
    addresses.update(
        a.lower() for a in cases.exclude(contact_email="").values_list("contact_email", flat=True)
    )
    to_her = models.Q()
    for address in addresses:
        to_her |= models.Q(to_address__iexact=address)
    return OutgoingEmail.objects.filter(models.Q(pk__in=list(letters)) | to_her)

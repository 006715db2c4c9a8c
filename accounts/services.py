"""Writes about accounts: a survivor's erasure of everything of hers."""

from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import Role, User
from cases.models import Case
from evidence import vault
from evidence.models import EvidenceFile
from takedowns.models import AnonymousOutcome, TakedownRequest


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
    with transaction.atomic():
        sent = TakedownRequest.objects.filter(case__in=cases, sent_at__isnull=False)
        AnonymousOutcome.objects.bulk_create(
            AnonymousOutcome(
                platform_id=t.platform_id,
                legal_basis=t.legal_basis,
                status=t.status,
                sent_at=t.sent_at,
                removed_at=t.removed_at,
            )
            for t in sent
        )
        counts = {"cases": cases.count(), "evidence files": len(evidence)}
        cases.delete()  # sightings, evidence rows, hashes, notes, requests, timeline cascade
        _sessions_of(user).delete()
        user.delete()
        # Files go once the rows are gone for good; a rollback keeps both.
        transaction.on_commit(lambda: [vault.delete_files(e) for e in evidence])
    return counts


def _sessions_of(user: User):
    keys = [
        session.session_key
        for session in Session.objects.filter(expire_date__gt=timezone.now())
        if session.get_decoded().get("_auth_user_id") == str(user.pk)
    ]
    return Session.objects.filter(session_key__in=keys)

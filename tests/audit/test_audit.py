"""The audit trail: what is recorded, with whom and which request, and that it cannot be
changed or removed through the application."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import override_settings
from django.urls import reverse

from accounts import services as account_services
from accounts.models import Role, User
from audit.models import AuditChange, AuditEvent, AuditKind
from audit.services import audit_record
from cases.models import Case
from cases.services import case_assign
from data_rights import services as data_rights_services
from evidence.models import AccessAction, EvidenceAccess, EvidenceFile, Sighting
from evidence.services import evidence_add, sighting_log
from tests.conftest import PASSWORD

LOGIN_URL = "/accounts/login/"


def _events(kind):
    return list(AuditEvent.objects.filter(kind=kind))


# --- authentication -----------------------------------------------------------------------


def test_a_login_is_recorded_with_her_and_the_request_id(client, survivor):
    response = client.post(LOGIN_URL, {"login": survivor.email, "password": PASSWORD})
    assert response.status_code == 302
    (event,) = _events(AuditKind.LOGIN)
    assert event.actor_id == survivor.pk and event.actor_role == Role.SURVIVOR
    assert event.request_id == response["X-Request-ID"]
    assert event.created_at is not None


def test_a_failed_login_is_recorded_without_the_typed_address(client, survivor):
    response = client.post(LOGIN_URL, {"login": survivor.email, "password": "wrong-password"})
    assert response.status_code == 200
    (event,) = _events(AuditKind.LOGIN_FAILED)
    assert event.actor_id is None and event.request_id == response["X-Request-ID"]
    assert survivor.email not in str(event.__dict__)


def test_a_logout_is_recorded(client, survivor):
    client.force_login(survivor)
    client.post(reverse("account_logout"))
    (event,) = _events(AuditKind.LOGOUT)
    assert event.actor_id == survivor.pk


def test_lockouts_and_second_factor_changes_are_recorded(rf, caseworker):
    """The signals django-axes and allauth.mfa send, as they send them."""
    from allauth.mfa import signals as mfa_signals
    from allauth.mfa.models import Authenticator
    from axes.signals import user_locked_out
    from django.contrib.sessions.backends.db import SessionStore

    request = rf.post(LOGIN_URL)
    request.session = SessionStore()
    user_locked_out.send("axes", request=request, username="x@example.test", ip_address="::1")
    authenticator = Authenticator.objects.get(user=caseworker, type=Authenticator.Type.TOTP)
    for signal in (
        mfa_signals.authenticator_added,
        mfa_signals.authenticator_removed,
        mfa_signals.authenticator_reset,
    ):
        signal.send(Authenticator, request=request, user=caseworker, authenticator=authenticator)
    kinds = [e.kind for e in AuditEvent.objects.order_by("id")]
    assert kinds == [
        AuditKind.LOCKED_OUT,
        AuditKind.MFA_ADDED,
        AuditKind.MFA_REMOVED,
        AuditKind.MFA_RESET,
    ]
    assert "x@example.test" not in str(list(AuditEvent.objects.values()))
    assert AuditEvent.objects.filter(actor=caseworker, detail={"type": "totp"}).count() == 3


# --- authorisation failures, evidence, exports, erasure -----------------------------------


def test_a_refused_case_is_recorded_once_by_the_one_middleware(client, case, other_survivor):
    client.force_login(other_survivor)
    response = client.get(reverse("cases:detail", args=[case.reference]))
    assert response.status_code == 404
    (event,) = _events(AuditKind.ACCESS_DENIED)
    assert event.actor_id == other_survivor.pk
    assert event.target == f"cases:detail case={case.pk}"  # the id, never the reference
    assert event.detail == {"method": "GET", "refusal": "Http404"}
    assert event.request_id == response["X-Request-ID"]


def test_a_guessed_reference_is_recorded_without_the_guess(client, other_survivor):
    client.force_login(other_survivor)
    assert client.get(reverse("cases:detail", args=["ZZZZZZZZ"])).status_code == 404
    (event,) = _events(AuditKind.ACCESS_DENIED)
    assert event.target == "cases:detail case=none"


def test_staff_looking_at_evidence_is_recorded_and_the_survivor_is_not(
    client, case, survivor, caseworker, image_upload
):
    case_assign(case=case, to=caseworker, acting_user=caseworker)
    evidence = evidence_add(case=case, upload=image_upload(), acting_user=survivor)
    client.force_login(survivor)
    client.get(reverse("evidence:file", args=[case.reference, evidence.pk, "image"]))
    assert not _events(AuditKind.EVIDENCE_VIEWED)

    client.force_login(caseworker)
    image = client.get(reverse("evidence:file", args=[case.reference, evidence.pk, "image"]))
    download = client.get(reverse("evidence:file", args=[case.reference, evidence.pk, "download"]))
    assert image.status_code == download.status_code == 200
    events = AuditEvent.objects.filter(kind=AuditKind.EVIDENCE_VIEWED).order_by("id")
    assert [(e.actor_id, e.target) for e in events] == [
        (caseworker.pk, f"evidence:file case={case.pk} rendition=image"),
        (caseworker.pk, f"evidence:file case={case.pk} rendition=download"),
    ]
    assert [e.request_id for e in events] == [image["X-Request-ID"], download["X-Request-ID"]]


def test_a_blurred_preview_shown_to_staff_is_not_recorded_as_viewing_evidence(
    client, case, survivor, caseworker, image_upload
):
    """The case page and the evidence page show the file blurred behind a content warning:
    neither they nor the preview they load count as looking at it. Revealing does, in the
    audit trail and in the file's own access log (its custody record in the bundle)."""
    case_assign(case=case, to=caseworker, acting_user=caseworker)
    evidence = evidence_add(case=case, upload=image_upload(), acting_user=survivor)
    client.force_login(caseworker)
    case_page = client.get(reverse("cases:detail", args=[case.reference]))
    preview_url = reverse("evidence:file", args=[case.reference, evidence.pk, "preview"])
    assert preview_url in case_page.content.decode()
    evidence_page = client.get(reverse("evidence:detail", args=[case.reference, evidence.pk]))
    preview = client.get(preview_url)
    assert case_page.status_code == evidence_page.status_code == preview.status_code == 200
    assert not _events(AuditKind.EVIDENCE_VIEWED)
    assert not EvidenceAccess.objects.exists()

    revealed = client.get(
        reverse("evidence:file", args=[case.reference, evidence.pk, "thumbnail"])
    )
    assert revealed.status_code == 200
    (event,) = _events(AuditKind.EVIDENCE_VIEWED)
    assert event.target == f"evidence:file case={case.pk} rendition=thumbnail"
    access = EvidenceAccess.objects.get()
    assert (access.user, access.action) == (caseworker, AccessAction.REVEAL)


def test_exports_are_recorded_but_not_the_password_form(client, case, survivor):
    client.force_login(survivor)
    client.get(reverse("accounts:export"))
    client.post(reverse("accounts:export"), {"password": "wrong"})
    assert not _events(AuditKind.EXPORT)
    response = client.post(reverse("accounts:export"), {"password": PASSWORD})
    assert response["Content-Type"] == "application/zip"
    (event,) = _events(AuditKind.EXPORT)
    assert event.actor_id == survivor.pk and event.target == "accounts:export"


def test_an_erasure_is_recorded_in_its_own_transaction(case, survivor, monkeypatch):
    def broken(user):
        raise RuntimeError("the database went away mid-erasure")

    monkeypatch.setattr(account_services, "_sessions_of", broken)
    with pytest.raises(RuntimeError):
        data_rights_services.account_erase(user=survivor, password=PASSWORD)
    # Rolled back with the erasure it describes: no audit row claims what did not happen.
    assert not _events(AuditKind.ERASURE) and User.objects.filter(pk=survivor.pk).exists()

    monkeypatch.undo()
    her_id = survivor.pk
    data_rights_services.account_erase(user=survivor, password=PASSWORD)
    (event,) = _events(AuditKind.ERASURE)
    assert event.actor_id == her_id and event.detail == {"cases": 1, "evidence files": 0}


def test_audit_record_shares_the_callers_transaction(survivor):
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        audit_record(kind=AuditKind.EXPORT, actor=survivor)
        assert AuditEvent.objects.count() == 1
        1 / 0  # noqa: B018
    assert AuditEvent.objects.count() == 0


# --- append-only --------------------------------------------------------------------------


@pytest.fixture
def trail(survivor):
    event = audit_record(kind=AuditKind.LOGIN, actor=survivor)
    Case.objects.create(pseudonym="x")
    Case.objects.update(status="closed")
    return event, AuditChange.objects.get()


@pytest.mark.parametrize(
    "attempt",
    [
        lambda e, c: type(e).objects.filter(pk=e.pk).update(kind=AuditKind.LOGOUT),
        lambda e, c: type(e).objects.filter(pk=e.pk).delete(),
        lambda e, c: e.delete(),
        lambda e, c: (setattr(e, "actor_role", "admin"), e.save()),
        lambda e, c: type(c).objects.filter(pk=c.pk).update(changed_columns=[]),
        lambda e, c: c.delete(),
        lambda e, c: connection.cursor().execute("DELETE FROM audit_auditevent"),
        lambda e, c: connection.cursor().execute("UPDATE audit_auditchange SET row_id = 'x'"),
    ],
    ids=[
        "event-update",
        "event-queryset-delete",
        "event-delete",
        "event-save",
        "change-update",
        "change-delete",
        "raw-delete",
        "raw-update",
    ],
)
def test_audit_rows_cannot_be_changed_or_deleted(trail, attempt):
    event, change = trail
    with pytest.raises(DatabaseError, match="pgtrigger"), transaction.atomic():
        attempt(event, change)
    event.refresh_from_db()
    assert event.kind == AuditKind.LOGIN and AuditChange.objects.filter(pk=change.pk).exists()


def test_erasing_a_user_keeps_her_audit_rows(case, survivor):
    her_id = survivor.pk
    audit_record(kind=AuditKind.LOGIN, actor=survivor)
    data_rights_services.account_erase(user=survivor, password=PASSWORD)
    assert AuditEvent.objects.filter(kind=AuditKind.LOGIN, actor_id=her_id).exists()


# --- row-level triggers -------------------------------------------------------------------


def _new_changes(before):
    return list(AuditChange.objects.filter(pk__gt=before).order_by("id"))


def _last_id():
    return AuditChange.objects.order_by("-id").values_list("id", flat=True).first() or 0


def test_queryset_update_of_a_case_is_recorded_with_harmless_values_only(case):
    before = _last_id()
    Case.objects.filter(pk=case.pk).update(status="closed", pseudonym="Renamed", priority="high")
    (change,) = _new_changes(before)
    assert change.table_name == "cases_case" and change.row_id == f"id={case.pk}"
    assert change.changed_columns == ["priority", "pseudonym", "status"]
    assert change.shown_values == {"status": ["new", "closed"], "priority": ["normal", "high"]}
    assert "Renamed" not in str(change.__dict__) and "Rose" not in str(change.__dict__)
    assert change.transaction_id is not None


def test_a_sighting_address_and_note_change_is_named_but_not_copied(case, survivor):
    sighting = sighting_log(
        case=case, url="https://x.com/secret-path", note="private words", acting_user=survivor
    )
    before = AuditChange.objects.count()
    Sighting.objects.filter(pk=sighting.pk).update(
        url="https://x.com/other-secret", note="other private words", status="removed"
    )
    change = AuditChange.objects.order_by("-id").first()
    assert AuditChange.objects.count() == before + 1
    assert change.table_name == "evidence_sighting" and change.row_id == f"case_id={case.pk}"
    assert {"url", "note", "status"} <= set(change.changed_columns)
    assert change.shown_values == {"status": ["live", "removed"]}
    text = str(change.__dict__)
    for secret in ("secret", "private", str(sighting.pk)):
        assert secret not in text


def test_a_recheck_that_only_moves_the_schedule_is_not_an_audited_change(case, survivor):
    """When a link was last checked and when it is next (a recheck, a dispatcher's lease)
    is bookkeeping, kept by the check rows; what a check changes is still recorded, with
    the bookkeeping columns named beside it (audit/migrations/0007)."""
    from django.utils import timezone

    sighting = sighting_log(case=case, url="https://x.com/a", acting_user=survivor)
    now = timezone.now()
    before = _last_id()
    Sighting.objects.filter(pk=sighting.pk).update(
        last_checked_at=now, next_check_at=now, last_check_outcome="live"
    )
    assert _new_changes(before) == []
    Sighting.objects.filter(pk=sighting.pk).update(
        status="removed", last_checked_at=now, last_check_outcome="gone"
    )
    (change,) = _new_changes(before)
    assert change.changed_columns == ["last_check_outcome", "status"]
    assert change.shown_values == {"status": ["live", "removed"]}


def test_evidence_file_hash_and_path_changes_are_not_copied(case, survivor, image_upload):
    evidence = evidence_add(case=case, upload=image_upload(), acting_user=survivor)
    before = AuditChange.objects.count()
    EvidenceFile.objects.filter(pk=evidence.pk).update(
        sha256="0" * 64, original_name_sealed="c2VhbGVk"
    )
    change = AuditChange.objects.order_by("-id").first()
    assert AuditChange.objects.count() == before + 1
    assert set(change.changed_columns) == {"sha256", "original_name_sealed"}
    assert change.shown_values == {}
    assert evidence.sha256 not in str(change.__dict__) and str(evidence.pk) not in change.row_id


def test_role_and_active_changes_of_users_are_recorded_and_logins_are_not(survivor):
    User.objects.filter(pk=survivor.pk).update(last_login="2026-01-01T00:00Z")
    User.objects.filter(pk=survivor.pk).update(email="new@example.test")
    assert not AuditChange.objects.exists()
    User.objects.filter(pk=survivor.pk).update(role=Role.SUPERVISOR, is_active=False)
    (change,) = AuditChange.objects.all()
    assert change.table_name == "accounts_user" and change.row_id == f"id={survivor.pk}"
    assert change.shown_values == {
        "role": ["survivor", "supervisor"],
        "is_active": [True, False],
    }
    assert "example.test" not in str(change.__dict__)


def test_an_update_that_changes_nothing_is_not_recorded(case):
    before = _last_id()
    Case.objects.filter(pk=case.pk).update(status=case.status)
    assert not _new_changes(before)


def test_takedown_updates_are_recorded(case, survivor):
    from takedowns.models import TakedownRequest

    TakedownRequest.objects.create(case=case, host="x.example")
    before = _last_id()
    TakedownRequest.objects.update(status="sent", contact_email="rose@example.test")
    (change,) = _new_changes(before)
    assert change.table_name == "takedowns_takedownrequest"
    assert change.shown_values == {"status": ["draft", "sent"]}
    assert "rose@" not in str(change.__dict__)


# --- request ids --------------------------------------------------------------------------


@override_settings(ALLOWED_HOSTS=["testserver"])
def test_request_ids_are_returned_and_a_proxys_id_is_kept_only_when_it_looks_like_one(client):
    fresh = client.get("/")["X-Request-ID"]
    assert len(fresh) == 36 and fresh != client.get("/")["X-Request-ID"]
    kept = client.get("/", HTTP_X_REQUEST_ID="abcd-1234-efgh")["X-Request-ID"]
    assert kept == "abcd-1234-efgh"
    injected = client.get("/", HTTP_X_REQUEST_ID="x\r\nSet-Cookie: a=b")["X-Request-ID"]
    assert "\n" not in injected and "Set-Cookie" not in injected


def test_a_case_bundle_download_is_an_export(client, case, caseworker, image_upload, survivor):
    case_assign(case=case, to=caseworker, acting_user=caseworker)
    evidence_add(case=case, upload=image_upload(), acting_user=survivor)
    client.force_login(caseworker)
    response = client.get(reverse("evidence:bundle", args=[case.reference]))
    assert response.status_code == 200
    (event,) = _events(AuditKind.EXPORT)
    assert event.actor_id == caseworker.pk and event.target == f"evidence:bundle case={case.pk}"

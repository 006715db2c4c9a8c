"""The pages that compose every app: her dashboard, the caseload, and the case page with
every form on it. A POST from the case page that needs fixing shows the page again with its
bound form (casework.pages), so those views live here, under the URL names they always had
(cases:..., evidence:...; leakcase/urls.py)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_GET

from access.permissions import case_for_user, cases_visible_to, login_required, staff_required
from accounts.selectors import email_is_verified
from cases import programme_services, thread_services
from cases import services as case_services
from cases.forms import (
    AssignForm,
    ConsentForm,
    NoteForm,
    NoticeContactForm,
    StatusForm,
    TriageForm,
)
from cases.models import CaseNote, NoteVisibility
from cases.programme_forms import ProgrammeCaseForm
from cases.thread_forms import MessageChangeForm, MessageForm
from cases.thread_selectors import with_unread_messages
from casework import selectors, services
from casework.forms import CaseloadFilterForm
from casework.pages import keep_paste_result, render_case_page
from evidence import selectors as evidence_selectors
from evidence import services as evidence_services
from evidence.forms import EvidenceUploadForm, PasteSightingsForm, SightingForm
from leakcase.forms import add_validation_errors, post_only
from leakcase.locking import StateChanged

CASELOAD_PAGE_SIZE = 25


@login_required
@require_GET
def case_list(request):
    if request.user.is_support_staff:
        return redirect("cases:caseload")
    cases = with_unread_messages(
        selectors.cases_for_dashboard(cases_visible_to(request.user)), request.user
    )
    return render(
        request,
        "cases/case_list.html",
        {
            "cases": cases,
            "email_unverified": not email_is_verified(request.user),
            "things_that_need_you": selectors.things_that_need_her(request.user),
        },
    )


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


@login_required
@require_GET
def case_detail(request, reference):
    case = case_for_user(request.user, reference)
    return render_case_page(request, case)


def _moved_on(request, case, error: StateChanged):
    """The case changed while she acted: back to it as it is now, with the reason."""
    messages.error(request, " ".join(error.messages))
    return redirect("cases:detail", reference=case.reference)


def _case_form_post(request, case, form, form_name, act, *, at=""):
    """What a form on the case page does with its POST. A valid form's cleaned data goes to
    `act`, which calls the service and returns what to tell her; she goes back to the case
    page (at the anchor `at`) with it. A case that moved on meanwhile (StateChanged) sends
    her back to it as it is now; bad input, or a service's ValidationError, shows the page
    again with the form, as `form_name`, and its errors (400), nothing changed."""
    if form.is_valid():
        try:
            done = act(form.cleaned_data)
        except StateChanged as error:
            return _moved_on(request, case, error)
        except ValidationError as error:
            add_validation_errors(form, error)
        else:
            messages.success(request, done)
            return redirect(reverse("cases:detail", args=[case.reference]) + at)
    return render_case_page(request, case, status=400, **{form_name: form})


@staff_required
@post_only("cases:detail")
def case_triage(request, reference):
    case = case_for_user(request.user, reference)

    def triage(data):
        # The priority it has now: a minor, threats or extortion make any case urgent.
        triaged = services.case_triage(case=case, acting_user=request.user, **data)
        return gettext("Priority is %(priority)s.") % {
            "priority": triaged.get_priority_display().lower()
        }

    return _case_form_post(request, case, TriageForm(request.POST), "triage_form", triage)


@staff_required
@post_only("cases:detail")
def case_status(request, reference):
    case = case_for_user(request.user, reference)

    def change_status(data):
        moved = case_services.case_change_status(
            case=case, to=data["status"], acting_user=request.user
        )
        return gettext("The case is now %(status)s.") % {
            "status": moved.get_status_display().lower()
        }

    return _case_form_post(request, case, StatusForm(request.POST), "status_form", change_status)


@staff_required
@post_only("cases:detail")
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
        case_services.case_assign(case=case, to=to, acting_user=request.user)
    except (ValidationError, PermissionDenied) as error:
        text = " ".join(getattr(error, "messages", [str(error)]))
        messages.error(request, text)
        return redirect("cases:detail", reference=case.reference)
    if to is None:
        messages.success(request, gettext("The case is back in the unassigned queue."))
    else:
        who = "you" if to == request.user else str(to)
        messages.success(request, gettext("The case is assigned to %(who)s.") % {"who": who})
    return redirect("cases:detail", reference=case.reference)


@staff_required
@post_only("cases:detail")
def note_add(request, reference):
    case = case_for_user(request.user, reference)

    def add_note(data):
        case_services.note_add(case=case, acting_user=request.user, **data)
        return gettext("The note is saved.")

    return _case_form_post(
        request, case, NoteForm(request.POST), "note_form", add_note, at="#notes"
    )


@login_required
@post_only("cases:detail")
def case_consent(request, reference):
    """She gives or withdraws her consent; staff record what she told them."""
    case = case_for_user(request.user, reference)
    form = ConsentForm(request.POST, for_staff=request.user.is_support_staff)

    def set_consent(data):
        given = data["consent"] == "give"
        case_services.case_set_consent(
            case=case, given=given, acting_user=request.user, note=data.get("note", "")
        )
        return _consent_done(request.user, case, given)

    return _case_form_post(request, case, form, "consent_form", set_consent, at="#consent")


def _consent_done(user, case, given: bool) -> str:
    if user.pk == case.survivor_id:
        if given:
            return gettext("Thank you. LeakCase may now write to platforms for you.")
        return gettext("Your consent is withdrawn. Nothing more is sent to platforms for you.")
    if given:
        return gettext("Her consent is recorded.")
    return gettext("Her withdrawal is recorded. Nothing more is sent to platforms for her.")


@login_required
@post_only("cases:detail")
def case_notice_contact(request, reference):
    case = case_for_user(request.user, reference)
    form = NoticeContactForm(request.POST, case=case, for_staff=request.user.is_support_staff)

    def set_notice_contact(data):
        case_services.case_set_notice_contact(
            case=case,
            notice_contact=data["notice_contact"],
            acting_user=request.user,
            note=data.get("note", ""),
        )
        return gettext("The contact address for notices is saved.")

    return _case_form_post(
        request, case, form, "notice_contact_form", set_notice_contact, at="#consent"
    )


# --- the industry's hash programmes (cases.programme_services) --------------------------


@login_required
@post_only("cases:detail")
def programme_case_record(request, reference):
    """Her case number with StopNCII.org or Take It Down, recorded by her or by staff."""
    case = case_for_user(request.user, reference)
    form = ProgrammeCaseForm(request.POST, for_staff=request.user.is_support_staff)

    def record(data):
        saved = programme_services.programme_case_record(
            case=case, acting_user=request.user, **data
        )
        return gettext("The %(programme)s case is saved.") % {
            "programme": saved.get_programme_display()
        }

    return _case_form_post(request, case, form, "programme_form", record, at="#programmes")


@login_required
@post_only("cases:detail")
def case_hash_sharing(request, reference):
    """She gives or withdraws her consent to sharing her images' fingerprints; staff record
    what she told them (as for consent to write to platforms)."""
    case = case_for_user(request.user, reference)
    form = ConsentForm(request.POST, for_staff=request.user.is_support_staff)

    def set_hash_sharing(data):
        given = data["consent"] == "give"
        case_services.case_set_hash_sharing(
            case=case, given=given, acting_user=request.user, note=data.get("note", "")
        )
        if request.user.pk == case.survivor_id:
            if given:
                return gettext("Thank you. Your caseworker may now share the fingerprints.")
            return gettext(
                "Your consent is withdrawn. The fingerprints are not shared from now on."
            )
        return (
            gettext("Her consent is recorded.")
            if given
            else gettext("Her withdrawal is recorded.")
        )

    return _case_form_post(
        request, case, form, "hash_sharing_form", set_hash_sharing, at="#programmes"
    )


# --- the case page's evidence forms (evidence:...) ---------------------------------------


@login_required
@post_only("cases:detail")
def sighting_add(request, reference):
    case = case_for_user(request.user, reference)

    def log_sighting(data):
        evidence_services.sighting_log(case=case, acting_user=request.user, **data)
        return gettext("The sighting is logged.")

    return _case_form_post(
        request, case, SightingForm(request.POST), "sighting_form", log_sighting
    )


@login_required
@post_only("cases:detail")
def sightings_paste(request, reference):
    case = case_for_user(request.user, reference)
    form = PasteSightingsForm(request.POST)
    if form.is_valid():
        try:
            result = evidence_services.sightings_log_pasted(
                case=case, text=form.cleaned_data["urls"], acting_user=request.user
            )
        except ValidationError as error:
            add_validation_errors(form, error)
        else:
            if result.saved:
                # The problems by line are the point of the answer: kept for the case page
                # the redirect shows, at its top (#paste-result).
                keep_paste_result(request, case, result)
                return redirect(f"{reverse('cases:detail', args=[case.reference])}#paste-result")
            # Nothing saved: every line is an error, listed in the form's error summary.
            for problem in result.problems:
                form.add_error(
                    "urls",
                    gettext("Line %(line)s: %(text)s — %(reason)s")
                    % {"line": problem.line, "text": problem.text, "reason": problem.reason},
                )
    return render_case_page(request, case, status=400, paste_form=form)


@login_required
@post_only("cases:detail")
def evidence_upload(request, reference):
    case = case_for_user(request.user, reference)
    sightings = list(evidence_selectors.case_sightings(case))
    form = EvidenceUploadForm(request.POST, request.FILES, sightings=sightings)
    if form.is_valid():
        chosen = form.cleaned_data["sighting"]
        sighting = next((s for s in sightings if str(s.pk) == chosen), None)
        try:
            evidence = evidence_services.evidence_add(
                case=case,
                upload=form.cleaned_data["image"],
                acting_user=request.user,
                sighting=sighting,
            )
        except ValidationError as error:
            add_validation_errors(form, error)
        else:
            messages.success(
                request, gettext("The screenshot is saved. It stays blurred until you reveal it.")
            )
            return redirect("evidence:detail", reference=case.reference, evidence_id=evidence.pk)
    return render_case_page(request, case, status=400, upload_form=form)


# --- the conversation (cases.thread_services) -------------------------------------------


def _to_thread(case):
    return redirect(f"{reverse('cases:detail', args=[case.reference])}#thread")


@login_required
@post_only("cases:detail")
def message_post(request, reference):
    """She writes to her caseworker, or staff to her. Ends in a redirect; the same form
    posted twice (its hidden key) makes one message."""
    case = case_for_user(request.user, reference)
    form = MessageForm(request.POST, for_staff=request.user.is_support_staff)

    def post_message(data):
        thread_services.message_post(
            case=case, body=data["body"], acting_user=request.user, key=data["key"]
        )
        return gettext("Your message is sent.")

    return _case_form_post(request, case, form, "message_form", post_message, at="#thread")


@login_required
@post_only("cases:detail")
def message_change(request, reference):
    """Correct (action=edit) or withdraw (action=withdraw) one message of the thread."""
    case = case_for_user(request.user, reference)
    form = MessageChangeForm(request.POST)
    action = request.POST.get("action")
    if not form.is_valid() or action not in ("edit", "withdraw"):
        messages.error(request, gettext("Nothing was changed: that message could not be found."))
        return _to_thread(case)
    # Through its case, and only the conversation's: an internal note is not found here.
    note = CaseNote.objects.filter(
        pk=form.cleaned_data["message"], case=case, visibility=NoteVisibility.SHARED
    ).first()
    if note is None:
        messages.error(request, gettext("Nothing was changed: that message could not be found."))
        return _to_thread(case)
    try:
        if action == "withdraw":
            thread_services.message_withdraw(note=note, acting_user=request.user)
            messages.success(request, gettext("The message is withdrawn."))
        else:
            thread_services.message_edit(
                note=note,
                body=form.cleaned_data["body"],
                revision=form.cleaned_data["revision"] or 0,
                acting_user=request.user,
            )
            messages.success(request, gettext("The message is corrected."))
    except StateChanged as error:
        messages.error(request, " ".join(error.messages))
    except ValidationError as error:
        messages.error(
            request,
            gettext("Nothing was changed. %(why)s") % {"why": " ".join(error.messages)},
        )
    return _to_thread(case)

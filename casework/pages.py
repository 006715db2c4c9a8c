"""The case page, put together for one reader: what the case detail view shows, and what a
POST view (casework.views) shows again with its bound form when the input
needs fixing. Not a views module: every view that shows the case page is in casework.views."""

import html
from collections import Counter

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.forms.utils import flatatt
from django.shortcuts import render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, gettext_lazy

from cases.forms import (
    AssignForm,
    ConsentForm,
    NoteForm,
    NoticeContactForm,
    StatusForm,
    TriageForm,
)
from cases.models import NoteVisibility, Programme
from cases.programme_forms import ProgrammeCaseForm
from cases.selectors import notes_for
from cases.thread_forms import MessageForm
from cases.thread_selectors import thread_for
from cases.thread_services import thread_mark_read
from casework.selectors import (
    case_events_for,
    case_link_reappeared,
    case_next_due,
    timeline_entries,
)
from digests.selectors import weekly_email_state
from evidence.forms import EvidenceUploadForm, PasteSightingsForm, SightingForm
from evidence.hash_exchange import PDQ_MIN_QUALITY, exchange_file
from evidence.selectors import (
    case_evidence,
    case_links_listed,
    copy_groups,
    sightings_in_order,
)
from evidence.status_words import status_words
from takedowns.models import TakedownStatus
from takedowns.selectors import case_takedowns

# A long case pages its lists: a phone shows 25 links, files or events at a time, each list
# with its own page parameter so paging one keeps the others where they were.
CASE_PAGE_SIZE = 25
PAGE_PARAMS = {
    "links": "links_page",
    "evidence": "evidence_page",
    "timeline": "timeline_page",
    "thread": "messages_page",
}
# The industry's hash programmes, in the words each reader gets: (what it is for her, for
# staff, its site). Facts from the programmes' own pages: StopNCII.org is for images of
# adults and sends under-18 images to Take It Down, which takes images taken under 18 even
# when she is an adult now.
PROGRAMME_WORDS = {
    Programme.STOPNCII: (
        gettext_lazy(
            "For intimate images taken when you were 18 or over. Run by SWGfL, the UK "
            "charity behind the Revenge Porn Helpline."
        ),
        gettext_lazy(
            "For intimate images of adults (taken at 18 or over). Run by SWGfL, the charity "
            "behind the Revenge Porn Helpline."
        ),
        "https://stopncii.org/",
    ),
    Programme.TAKE_IT_DOWN: (
        gettext_lazy(
            "For nude, partly nude or sexual images taken when you were under 18, even if "
            "you are an adult now. Run by NCMEC, the US National Center for Missing & "
            "Exploited Children. You do not have to give your name."
        ),
        gettext_lazy(
            "For images taken when she was under 18, even if she is an adult now. Run by "
            "NCMEC (US); it can be used anonymously."
        ),
        "https://takeitdown.ncmec.org/",
    ),
}

# A pasted list's result, kept in her session across the redirect after the POST.
PASTE_RESULT_SESSION_KEY = "paste_result"


def render_case_page(request, case, *, status=200, **forms_and_results):
    """The case page, with any bound forms or results a POST view hands back."""
    user = request.user
    # Every link, lightly (the upload form offers each); links she removed from her list
    # are kept, for staff only (casework.link_views).
    sightings = case_links_listed(case, with_withdrawn=user.is_support_staff)
    takedowns = case_takedowns(case)
    thread = thread_for(user, case)
    # Opening the page is reading the thread: what was new is marked new this once.
    thread_mark_read(case=case, user=user, up_to=thread.newest_at)
    thread_page = _page(request, "thread", thread.messages, newest_last=True)
    # Links are all listed anyway (the upload form offers each): paged in memory, and only
    # the page's links read in full. Files and events are paged in the database (a count
    # and one page).
    links_page = _page(request, "links", sightings)
    links_page.object_list = sightings_in_order(case, [s.pk for s in links_page.object_list])
    # A page of links shows part of a platform's group: its caption counts the whole group.
    per_platform = Counter(s.platform_id for s in sightings)
    for sighting in links_page.object_list:
        sighting.platform_link_count = per_platform[sighting.platform_id]
    _prepare_sighting_rows(
        case, links_page.object_list, takedowns, for_staff=user.is_support_staff
    )
    evidence_page = _page(request, "evidence", case_evidence(case))
    timeline_page = _page(request, "timeline", case_events_for(case, user))
    timeline_page.object_list = timeline_entries(list(timeline_page.object_list), user)
    fits = Programme.TAKE_IT_DOWN if case.involves_minor else Programme.STOPNCII
    programme_cases = list(case.programme_cases.all())
    context = {
        "case": case,
        "sightings": sightings,
        "links_page": links_page,
        "evidence_page": evidence_page,
        "evidence_files": evidence_page.object_list,
        # Staff's internal notes; the shared ones are messages, in the thread.
        "notes": [n for n in notes_for(user, case) if n.visibility == NoteVisibility.INTERNAL]
        if user.is_support_staff
        else [],
        "thread": thread,
        "thread_page": thread_page,
        "message_form": MessageForm(for_staff=user.is_support_staff),
        "takedowns": takedowns,
        "reference_count": case.references.count(),
        "copy_groups": copy_groups(case),
        "timeline_page": timeline_page,
        "timeline": timeline_page.object_list,
        # After a distressing step (a link back after removal, a request refused): someone
        # to talk to, at the top of the page.
        "offer_support": not user.is_support_staff
        and (
            any(t.status == TakedownStatus.REJECTED for t in takedowns)
            or case_link_reappeared(case)
        ),
        "paste_result": request.session.pop(_paste_key(case), None)
        if request.method == "GET"
        else None,
        "sighting_form": SightingForm(),
        "paste_form": PasteSightingsForm(),
        "upload_form": EvidenceUploadForm(sightings=sightings),
        "consent_form": ConsentForm(
            initial={"consent": "withdraw" if case.consent_to_contact_platforms else "give"},
            for_staff=user.is_support_staff,
        ),
        "notice_contact_form": NoticeContactForm(
            initial={"notice_contact": case.notice_contact},
            case=case,
            for_staff=user.is_support_staff,
        ),
        # The industry's hash programmes: the one that fits her case first (images from
        # when she was under 18: Take It Down), what she recorded, and her consent to
        # sharing the fingerprints LeakCase holds.
        "programme_fits": fits,
        "programme_choices": _programme_choices(fits, for_staff=user.is_support_staff),
        "programme_form_heading": gettext("Record her programme case number")
        if user.is_support_staff
        else gettext("Note your programme case number"),
        "programme_cases": programme_cases,
        "programme_form": ProgrammeCaseForm(
            initial=_programme_initial(programme_cases, fits), for_staff=user.is_support_staff
        ),
        "hash_sharing_form": ConsentForm(
            initial={"consent": "withdraw" if case.consent_to_share_hashes else "give"},
            for_staff=user.is_support_staff,
        ),
    }
    if user.is_support_staff:
        context.update(
            # The column the triggers keep, as loaded for this request; read again after a
            # form was sent (a POST handed back), in case it moved meanwhile.
            next_due_at=case.next_due_at if request.method == "GET" else case_next_due(case),
            weekly_email=weekly_email_state(case.survivor),
            triage_form=TriageForm(
                initial={
                    "priority": case.priority,
                    "involves_minor": case.involves_minor,
                    "threats_or_extortion": case.threats_or_extortion,
                    "jurisdiction": case.jurisdiction,
                }
            ),
            status_form=StatusForm(initial={"status": case.status}),
            assign_form=AssignForm(initial={"assigned_to": case.assigned_to_id})
            if user.is_supervisor
            else None,
            note_form=NoteForm(),
            # What the exchange file would hold now (evidence.hash_exchange): counts only.
            hash_export_preview=exchange_file(case.references.all()),
            pdq_min_quality=PDQ_MIN_QUALITY,
        )
    context.update(forms_and_results)
    _write_options_directly(context.values())
    if status == 400:
        # The form with the problem may be far down the page: say so at the top.
        messages.error(
            request, gettext("Nothing was changed. The form below says what needs fixing.")
        )
    return render(request, "cases/case_detail.html", context, status=status)


def _programme_choices(fits, *, for_staff: bool) -> list[tuple[str, str, str, str]]:
    """(key, name, what it is for, its site) per programme, the one that fits first."""
    ordered = sorted(Programme, key=lambda programme: programme != fits)
    return [
        (
            programme.value,
            programme.label,
            PROGRAMME_WORDS[programme][1 if for_staff else 0],
            PROGRAMME_WORDS[programme][2],
        )
        for programme in ordered
    ]


def _programme_initial(programme_cases, fits) -> dict:
    """The form starts from the record already made (to add a withdrawal date without typing
    the rest again), or from the programme that fits her case."""
    if not programme_cases:
        return {"programme": fits}
    record = next((r for r in programme_cases if r.programme == fits), programme_cases[0])
    return {
        "programme": record.programme,
        "case_number": record.case_number,
        "registered_on": record.registered_on,
        "withdrawn_on": record.withdrawn_on,
    }


def keep_paste_result(request, case, result) -> None:
    """A pasted list's result (how many saved, each line not saved and why) for the case
    page her browser is sent to next: the POST ends in a redirect like every other."""
    request.session[_paste_key(case)] = {
        "saved": len(result.saved),
        "problems": [
            {"line": problem.line, "text": problem.text, "reason": problem.reason}
            for problem in result.problems
        ],
    }


def _paste_key(case) -> str:
    return f"{PASTE_RESULT_SESSION_KEY}:{case.reference}"


def _page(request, section, items, *, newest_last=False):
    """One page of a section's list, with links to its neighbours that keep the other
    sections' pages and land on the section (#links, #evidence, #timeline, #thread).
    newest_last: the list is oldest first (the conversation) and opens on its last page,
    where the newest messages are."""
    param = PAGE_PARAMS[section]
    paginator = Paginator(items, CASE_PAGE_SIZE)
    asked = request.GET.get(param)
    page = paginator.get_page(paginator.num_pages if newest_last and not asked else asked)
    if page.paginator.num_pages > 1:

        def link(number):
            query = request.GET.copy()
            query[param] = number
            return f"?{query.urlencode()}#{section}"

        page.previous_url = link(page.previous_page_number()) if page.has_previous() else ""
        page.next_url = link(page.next_page_number()) if page.has_next() else ""
    return page


# A case can hold hundreds of sightings, each a row on its page (the pages benchmark has
# 200): what each row needs is worked out here, once, rather than per row in the template.
_ANY_ID = "00000000-0000-0000-0000-000000000000"


def _prepare_sighting_rows(case, sightings, takedowns, *, for_staff: bool) -> None:
    """Each sighting gets `detail_url`, `words` (its status in plain words, for this reader)
    and `takedown`: its newest request, taken from the
    case's takedown list (whose sightings are already fetched, so the request's plain words
    cost no query per row). URLs are reversed once and filled in per row."""
    sighting_url = reverse("evidence:sighting_detail", args=[case.reference, _ANY_ID])
    takedown_url = reverse("takedowns:detail", args=[case.reference, _ANY_ID])
    newest = {}
    for takedown in takedowns:
        takedown.detail_url = takedown_url.replace(_ANY_ID, str(takedown.pk))
        for covered in takedown.covered:
            if covered.pk not in newest or takedown.created_at > newest[covered.pk].created_at:
                newest[covered.pk] = takedown
    for sighting in sightings:
        sighting.detail_url = sighting_url.replace(_ANY_ID, str(sighting.pk))
        sighting.takedown = newest.get(sighting.pk)
        sighting.words = status_words(sighting, for_staff=for_staff)


class _DirectSelect(forms.Select):
    """The same <select> as Django's Select, with its options written directly: Django
    builds a dict per option and renders it through templates of its own, which for a
    case's 200 sightings (the upload form's list of links) was a tenth of the case page's
    time, and for the forty countries of the triage form another few milliseconds. The
    same escaping as Django's (html.escape, which django.utils.html.escape wraps)."""

    def render(self, name, value, attrs=None, renderer=None):
        chosen = self.format_value(value)
        options = []
        selected_one = False
        for option_value, label in self.choices:
            option_value = "" if option_value is None else str(option_value)
            selected = option_value in chosen and not selected_one
            selected_one = selected_one or selected
            options.append(
                f'<option value="{html.escape(option_value)}"'
                f"{' selected' if selected else ''}>{html.escape(str(label))}</option>"
            )
        return mark_safe(  # noqa: S308 (every value above escaped)
            f'<select name="{html.escape(name)}"'
            f"{flatatt(self.build_attrs(self.attrs, attrs))}>{''.join(options)}</select>"
        )


def _write_options_directly(values) -> None:
    """Every plain single <select> of the page's forms (`values`: the context's) drawn by
    _DirectSelect. Not option groups (none of these forms has any) nor other widgets."""
    for form in values:
        if not isinstance(form, forms.BaseForm):
            continue
        for field in form.fields.values():
            if type(field.widget) is forms.Select:
                widget = _DirectSelect(attrs=field.widget.attrs)
                widget.choices = field.widget.choices
                field.widget = widget

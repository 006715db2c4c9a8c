"""casework/pages.py: the case page for a phone: its sections, lists of more than 25 that
page (each with its own parameter, at a fixed number of queries), a pasted list's result at
the top, and someone to talk to after a distressing step."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cases.models import EventKind
from cases.services import case_assign, event_record
from casework.pages import CASE_PAGE_SIZE
from evidence.demo_images import make_image
from evidence.services import evidence_add, sightings_log_pasted
from takedowns.models import TakedownRequest

DASH = "\N{EN DASH}"  # the pager writes ranges with it, as typeset text does
LINKS = 60  # three pages of links, and more than 25 events in the timeline
FILES = CASE_PAGE_SIZE + 2  # two pages of evidence


def _url(case, **params):
    return reverse("cases:detail", args=[case.reference]), params


@pytest.fixture
def long_case(case, survivor):
    sightings_log_pasted(
        case=case,
        text="\n".join(f"https://x.com/a/status/{i}" for i in range(LINKS)),
        acting_user=survivor,
    )
    for seed in range(FILES):
        evidence_add(
            case=case,
            upload=SimpleUploadedFile("s.jpg", make_image(seed=100 + seed, size=(64, 48))),
            acting_user=survivor,
        )
    return case


def _links_on(body: str) -> list[str]:
    rows = body.split('id="takedowns-heading"')[0]
    return re.findall(r'<span class="url">(https://x\.com/a/status/\d+)</span>', rows)


def test_the_case_page_has_a_nav_of_its_sections(survivor_client, case):
    body = survivor_client.get(reverse("cases:detail", args=[case.reference])).content.decode()
    nav = re.search(
        r'<nav class="section-nav" aria-label="Sections of this case">(.*?)</nav>', body, re.S
    )
    assert nav
    targets = re.findall(r'<a href="#([\w-]+)">([^<]+)</a>', nav.group(1))
    assert targets == [
        ("links", "Links"),
        ("takedowns", "Requests"),
        ("programmes", "Programmes"),
        ("evidence", "Evidence"),
        ("thread", "Messages"),
        ("timeline", "Timeline"),
    ]
    for anchor, _ in targets:
        assert re.search(rf'<section [^>]*id="{anchor}"', body), anchor


def test_staff_also_jump_to_the_internal_notes(client, case, caseworker):
    client.force_login(caseworker)
    body = client.get(reverse("cases:detail", args=[case.reference])).content.decode()
    nav = re.search(r'<nav class="section-nav"[^>]*>(.*?)</nav>', body, re.S).group(1)
    targets = re.findall(r'<a href="#([\w-]+)">([^<]+)</a>', nav)
    assert targets[4:6] == [("thread", "Messages"), ("notes", "Internal notes")]
    for anchor, _ in targets:
        assert re.search(rf'<section [^>]*id="{anchor}"', body), anchor


def test_long_lists_page_each_on_its_own_at_the_same_number_of_queries(
    survivor_client, long_case, django_assert_max_num_queries
):
    path = reverse("cases:detail", args=[long_case.reference])
    pages = {}
    # session, user, case, every link (listed) and the page's links (in full), takedowns
    # (+ their links' ids), evidence count and page, notes, reference count, copy groups,
    # events count and page (+actor), reappeared.
    for params in ({}, {"links_page": 3}, {"evidence_page": 2, "timeline_page": 2}):
        with django_assert_max_num_queries(16):
            response = survivor_client.get(path, params)
        assert response.status_code == 200
        pages[tuple(params)] = response.content.decode()

    first = pages[()]
    assert len(_links_on(first)) == CASE_PAGE_SIZE
    # The screenshot form offers every link, whichever page of them is shown.
    for body in pages.values():
        offered = re.findall(r'<option value="[0-9a-f-]{36}">https://x\.com/a/status/\d+<', body)
        assert len(offered) == LINKS
    assert f"Links 1{DASH}25 of 60" in first
    assert 'href="?links_page=2#links"' in first
    assert first.count("data-evidence") == CASE_PAGE_SIZE
    assert f"Files 1{DASH}25 of 27" in first
    assert f"Events 1{DASH}25 of" in first

    last_links = pages[("links_page",)]
    assert len(_links_on(last_links)) == LINKS - 2 * CASE_PAGE_SIZE
    assert f"Links 51{DASH}60 of 60" in last_links
    # The platform's caption counts its whole group, not the rows on this page.
    assert '<span class="count">(10 of 60)</span>' in last_links
    assert '<span class="count">(25 of 60)</span>' in first
    # Paging the links keeps the other lists where they were.
    assert 'href="?links_page=2#links"' in last_links and f"Files 1{DASH}25 of 27" in last_links

    others = pages[("evidence_page", "timeline_page")]
    assert f"Files 26{DASH}27 of 27" in others
    assert f"Events 26{DASH}" in others
    assert len(_links_on(others)) == CASE_PAGE_SIZE
    # The next-page links keep the other sections' parameters.
    assert 'href="?evidence_page=2&amp;timeline_page=3#timeline"' in others
    assert others.count("data-evidence") == FILES - CASE_PAGE_SIZE


def test_a_pasted_list_s_result_is_shown_once_at_the_top(survivor_client, case):
    paste = reverse("evidence:sightings_paste", args=[case.reference])
    response = survivor_client.post(paste, {"urls": "https://x.com/a/1\nnot a link at all"})
    assert response.status_code == 302
    body = survivor_client.get(response["Location"]).content.decode()
    result = body.index('id="paste-result"')
    assert result < body.index('id="links"')  # above every section
    assert "1 sighting saved, 1 line not saved" in body
    assert "<strong>Line 2</strong>" in body
    # Shown once: a reload is the case page as it is.
    again = survivor_client.get(response["Location"]).content.decode()
    assert 'id="paste-result"' not in again


def test_the_screenshot_form_shows_its_progress(survivor_client, case):
    body = survivor_client.get(reverse("cases:detail", args=[case.reference])).content.decode()
    form = re.search(r'<form [^>]*action="[^"]*/evidence/upload/"[^>]*>(.*?)</form>', body, re.S)
    assert form and "data-progress-upload" in form.group(0)
    assert re.search(r'<progress id="upload-progress" max="100" value="0">', form.group(1))
    assert '<label for="upload-progress">Uploading</label>' in form.group(1)


SUPPORT_HEADING = "This is hard. You do not have to face it alone"


def test_a_refused_request_brings_someone_to_talk_to_to_the_top(survivor_client, case):
    TakedownRequest.objects.create(case=case, status="rejected")
    body = survivor_client.get(reverse("cases:detail", args=[case.reference])).content.decode()
    assert SUPPORT_HEADING in body
    assert body.index(SUPPORT_HEADING) < body.index('id="links"')


def test_a_link_up_again_brings_someone_to_talk_to(survivor_client, case, survivor):
    sighting = sightings_log_pasted(
        case=case, text="https://x.com/a/9", acting_user=survivor
    ).saved[0]
    url = reverse("cases:detail", args=[case.reference])
    assert SUPPORT_HEADING not in survivor_client.get(url).content.decode()
    event_record(
        case=case,
        actor=None,
        kind=EventKind.SIGHTING_STATUS,
        target=sighting,
        old_value={"status": "removed"},
        new_value={"status": "live", "outcome": "reappeared"},
    )
    assert SUPPORT_HEADING in survivor_client.get(url).content.decode()


def test_staff_are_not_offered_it(client, case, caseworker):
    TakedownRequest.objects.create(case=case, status="rejected")
    case_assign(case=case, to=caseworker, acting_user=caseworker)
    client.force_login(caseworker)
    body = client.get(reverse("cases:detail", args=[case.reference])).content.decode()
    assert SUPPORT_HEADING not in body


def test_the_conversation_opens_on_its_newest_messages_and_pages_back(
    survivor_client, case, survivor, caseworker
):
    from cases.thread_services import message_post

    total = CASE_PAGE_SIZE + 5
    for n in range(total):
        message_post(case=case, body=f"message {n:02d}", acting_user=survivor)
    url = reverse("cases:detail", args=[case.reference])

    def shown(body):
        thread = body.split('id="thread"')[1].split("</section>")[0]
        return re.findall(r"message (\d\d)", thread)

    newest = survivor_client.get(url).content.decode()
    assert shown(newest) == [f"{n:02d}" for n in range(CASE_PAGE_SIZE, total)]
    assert 'href="?messages_page=1#thread" rel="prev">Previous messages' in newest
    earlier = survivor_client.get(url, {"messages_page": 1}).content.decode()
    assert shown(earlier) == [f"{n:02d}" for n in range(CASE_PAGE_SIZE)]
    assert "Next messages" in earlier


# --- the industry's hash programmes ---------------------------------------------------------


def _programmes_section(client, case) -> str:
    body = client.get(reverse("cases:detail", args=[case.reference])).content.decode()
    return re.search(r'<section [^>]*id="programmes".*?</section>', body, re.S).group(0)


def _programme_headings(section) -> list[str]:
    return [
        re.sub(r"<[^>]+>|\s+", " ", heading).split()[0]
        for heading in re.findall(r'<li class="programme[^"]*">\s*<h3>(.*?)</h3>', section, re.S)
    ]


def test_an_adult_s_case_offers_stopncii_first_and_says_she_never_gives_her_pin(
    survivor_client, case
):
    section = _programmes_section(survivor_client, case)
    assert _programme_headings(section) == ["StopNCII.org", "Take"]
    assert re.search(r'class="programme fits">\s*<h3>StopNCII.org <span class="badge">', section)
    assert "Only the fingerprint is sent; the images stay on your device." in section
    assert "LeakCase never needs your PIN" in section
    assert "Case number (not the PIN)" in section
    # Plain links to their own sites, without telling them the address of her case page.
    links = re.findall(r'<a href="(https://[^"]+)" rel="noreferrer noopener">', section)
    assert links == ["https://stopncii.org/", "https://takeitdown.ncmec.org/"]
    assert "<script" not in section
    assert "I agree: share the fingerprints" in section
    assert "None recorded." in section


def test_a_case_of_images_from_under_18_offers_take_it_down_first(client, case, caseworker):
    case.involves_minor = True
    case.save(update_fields=["involves_minor"])
    client.force_login(caseworker)
    section = _programmes_section(client, case)
    assert _programme_headings(section) == ["Take", "StopNCII.org"]
    assert "Fits this case: <strong>Take It Down (NCMEC)</strong>" in section
    assert "never the PIN" in section
    # Staff see what the exchange file would hold, and the button to download it.
    assert "would hold 0 PDQ hashes and 0 MD5 hashes" in section
    assert "Download the hashes (.txt)" in section


# --- the selects written directly (casework.pages._DirectSelect) ---------------------------


def _parsed(markup: str) -> list:
    """Tags (with their attributes, sorted, unescaped) and text, whitespace between tags
    dropped: what a browser reads, whatever the spacing or the form of an entity."""
    from html.parser import HTMLParser

    found = []

    class Reader(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.append((tag, sorted(attrs, key=lambda pair: pair[0])))

        def handle_endtag(self, tag):
            found.append(("/" + tag,))

        def handle_data(self, data):
            if data.strip():
                found.append(data)

    Reader().feed(markup)
    return found


@pytest.mark.parametrize("value", [None, "", "GB", "3", 3, ["GB"], "not offered"])
@pytest.mark.parametrize(
    "attrs", [None, {"id": "id_x", "required": True, "aria-describedby": 'h"1'}]
)
def test_a_select_written_directly_reads_as_django_s(value, attrs):
    from django import forms
    from django.utils.translation import gettext_lazy

    from casework.pages import _DirectSelect

    choices = [
        ("", gettext_lazy("Not linked to a sighting")),
        ('a"<&', 'x.com/?q="<b>&amp;'),
        (3, "three"),
        ("GB", "United Kingdom"),
        ("GB", "the same value twice"),
    ]
    django_s = forms.Select(attrs={"class": "c"}, choices=choices).render("link", value, attrs)
    direct = _DirectSelect(attrs={"class": "c"})
    direct.choices = choices
    assert _parsed(direct.render("link", value, attrs)) == _parsed(django_s)

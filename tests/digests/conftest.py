"""A week of a survivor's case, and weekly emails due."""

import datetime as dt

import pytest

from cases.models import Case, CaseNote, CaseStatus
from cases.services import case_open
from digests.models import WeeklyStatus
from evidence.models import EvidenceFile, EvidenceMatch, ReferenceHash, Sighting
from evidence.services import sighting_log
from platforms.models import Platform
from takedowns.models import TakedownRequest

NOW = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)  # a Monday


def ago(**kwargs) -> dt.datetime:
    return NOW - dt.timedelta(**kwargs)


@pytest.fixture
def her_case(survivor):
    case = case_open(survivor=survivor, pseudonym="Rose", acting_user=survivor)
    sighting_log(case=case, url="https://x.example/a", acting_user=survivor)
    return case


def due(user, **fields):
    fields.setdefault("next_digest_at", NOW - dt.timedelta(minutes=1))
    return WeeklyStatus.objects.update_or_create(user=user, defaults=fields)[0]


class Week:
    """A survivor's generated week: two open cases and a closed one, with sightings logged,
    removed and still up, requests waiting and decided, and things for her to do. The
    expected counts are worked out by hand below."""

    expected = {
        "links_reported": 6,
        "new_this_week": 2,
        "removed_this_week": 1,
        "removed_in_all": 2,
        "still_live": 4,  # three live and one unreachable: up, as far as we know
        "requests_waiting": 2,
        "requests_sent_this_week": 1,
        "replies_this_week": 1,
        "drafts_to_send": 1,
        "counter_notices": 1,
        "copies_to_check": 1,
        "to_do": 3,
        "quiet_week": False,
    }

    def __init__(self, survivor, caseworker):
        self.survivor = survivor
        first = case_open(survivor=survivor, pseudonym="Rosalind Vexley", acting_user=survivor)
        second = case_open(survivor=survivor, pseudonym="Hidden Wren", acting_user=survivor)
        closed = case_open(survivor=survivor, pseudonym="Old Marigold", acting_user=survivor)
        Case.objects.filter(pk=closed.pk).update(status=CaseStatus.CLOSED)
        self.cases = [first, second, closed]
        reddit = Platform.objects.get(slug="reddit")
        imgur = Platform.objects.get(slug="imgur")
        self.platforms = [reddit, imgur]

        def sighting(case, url, platform, created, status="live", removed=None, note=""):
            return Sighting.objects.create(
                case=case,
                url=url,
                host=url.split("/")[2],
                platform=platform,
                status=status,
                created_at=created,
                removed_verified_at=removed,
                note=note,
            )

        self.sightings = [
            sighting(first, "https://www.reddit.com/r/aaa/1", reddit, ago(days=10), note="zq1"),
            sighting(first, "https://i.imgur.com/bbbzz.jpg", imgur, ago(days=2)),
            sighting(
                first,
                "https://www.reddit.com/r/ccc/3",
                reddit,
                ago(days=20),
                "removed",
                ago(days=3),
            ),
            sighting(
                first, "https://imgur.com/ddd4", imgur, ago(days=30), "removed", ago(days=15)
            ),
            sighting(first, "https://leak-forum.example/t/5", None, ago(days=1), "unreachable"),
            sighting(second, "https://www.reddit.com/r/fff/6", reddit, ago(days=40)),
            # On the closed case: in no count.
            sighting(closed, "https://www.reddit.com/r/ggg/7", reddit, ago(days=1)),
        ]

        def takedown(case, status, created_by, **fields):
            return TakedownRequest.objects.create(
                case=case, platform=reddit, status=status, created_by=created_by, **fields
            )

        takedown(first, "sent", caseworker, sent_at=ago(days=2), due_at=NOW + dt.timedelta(1))
        takedown(first, "acknowledged", caseworker, sent_at=ago(days=10), due_at=ago(days=7))
        takedown(first, "removed", caseworker, sent_at=ago(days=9), decided_at=ago(days=1))
        takedown(first, "draft", survivor)
        takedown(first, "draft", caseworker)
        takedown(
            first,
            "removed",
            survivor,
            sent_at=ago(days=30),
            decided_at=ago(days=20),
            counter_notice_on=ago(days=2).date(),
            restore_window_to=(NOW + dt.timedelta(days=10)).date(),
        )
        takedown(closed, "sent", caseworker, sent_at=ago(days=1))

        reference = ReferenceHash.objects.create(
            case=first, label="Beach photo", phash=1, dhash=2, p0=0, p1=0, p2=0, p3=1
        )
        shots = [
            EvidenceFile.objects.create(
                case=first,
                kind="screenshot",
                content_type="image/jpeg",
                size=1,
                width=1,
                height=1,
                sha256=f"{i:064x}",
                captured_at=ago(days=2),
            )
            for i in range(2)
        ]
        EvidenceMatch.objects.create(
            evidence=shots[0], reference=reference, phash_distance=2, dhash_distance=3
        )
        EvidenceMatch.objects.create(
            evidence=shots[1],
            reference=reference,
            phash_distance=2,
            dhash_distance=3,
            confirmed_at=ago(days=1),
        )
        CaseNote.objects.create(
            case=first,
            author=caseworker,
            body="Called her back about the forum",
            visibility="shared",
        )

    def secrets(self) -> list[str]:
        """Every string of hers that must never be in an email about her."""
        strings = [self.survivor.email]
        for case in self.cases:
            strings += [case.reference, case.pseudonym]
        for sighting in self.sightings:
            strings += [sighting.url, sighting.host]
            if sighting.note:
                strings.append(sighting.note)
        strings += [p.name for p in self.platforms]
        strings += list(
            CaseNote.objects.filter(case__in=self.cases).values_list("body", flat=True)
        )
        strings.append("Beach photo")
        return strings

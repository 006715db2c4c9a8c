import re
from unittest import mock

import pytest
from django.db import IntegrityError

from cases.models import REFERENCE_ALPHABET, Case, CaseEvent, EventKind
from cases.services import case_open

REFERENCE = re.compile(rf"^LC-[{REFERENCE_ALPHABET}]{{6}}$")


def test_case_open_gives_a_random_reference_and_records_the_event(survivor):
    case = case_open(survivor=survivor, pseudonym="  Rose  ", acting_user=survivor)
    assert REFERENCE.match(case.reference)
    assert case.pseudonym == "Rose"
    assert case.status == "new"
    assert case.survivor == survivor
    assert case.contact_email == survivor.email
    event = CaseEvent.objects.get(case=case)
    assert event.kind == EventKind.CASE_OPENED
    assert event.actor == survivor
    assert event.new_value == {"pseudonym": "Rose", "status": "new"}


def test_references_are_not_sequential(survivor):
    refs = {
        case_open(survivor=survivor, pseudonym=str(n), acting_user=survivor).reference
        for n in range(20)
    }
    assert len(refs) == 20
    assert not any(ch in "".join(r[3:] for r in refs) for ch in "01ILOU")


def test_a_reference_clash_draws_again(survivor):
    taken = case_open(survivor=survivor, pseudonym="first", acting_user=survivor).reference
    with mock.patch("cases.services.new_reference", side_effect=[taken, "LC-NEW234"]):
        case = case_open(survivor=survivor, pseudonym="second", acting_user=survivor)
    assert case.reference == "LC-NEW234"
    assert Case.objects.count() == 2
    assert CaseEvent.objects.count() == 2


def test_gives_up_after_repeated_clashes_and_saves_nothing(survivor):
    taken = case_open(survivor=survivor, pseudonym="first", acting_user=survivor).reference
    with (
        mock.patch("cases.services.new_reference", return_value=taken),
        pytest.raises(IntegrityError),
    ):
        case_open(survivor=survivor, pseudonym="second", acting_user=survivor)
    assert Case.objects.count() == 1
    assert CaseEvent.objects.count() == 1

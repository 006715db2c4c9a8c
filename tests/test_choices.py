"""leakcase.choices: get_FOO_display() from a table per field, in the reader's language."""

import pytest
from django.apps import apps
from django.utils import translation

from cases.models import Case, CaseEvent, EventKind
from leakcase.choices import QuickChoiceLabels
from takedowns.models import TakedownRequest, TakedownStatus


def test_every_model_with_choices_reads_its_labels_from_the_table():
    # A model added later with a choices field and without the mixin would be slow on
    # every page that shows its labels: this names it.
    ours = {"accounts", "audit", "cases", "delisting", "digests", "evidence", "hosting"}
    ours |= {"inbound", "monitoring", "outbox", "platforms", "takedowns"}
    without = [
        model.__name__
        for model in apps.get_models()
        if model._meta.app_label in ours
        and any(field.choices for field in model._meta.concrete_fields)
        and not issubclass(model, QuickChoiceLabels)
    ]
    assert without == []


def test_the_label_is_translated_when_shown_in_the_readers_language():
    event = CaseEvent(kind=EventKind.SIGHTING_LOGGED)
    with translation.override("en"):
        english = event.get_kind_display()
    with translation.override("es"):
        spanish = event.get_kind_display()
    assert english == str(EventKind.SIGHTING_LOGGED.label)
    with translation.override("es"):
        assert spanish == str(EventKind.SIGHTING_LOGGED.label)
    assert spanish != english


def test_a_value_that_is_not_a_choice_is_shown_as_it_is():
    # What Django's own get_FOO_display does for a value outside the choices.
    assert Case(status="archived-long-ago").get_status_display() == "archived-long-ago"


@pytest.mark.parametrize("status", list(TakedownStatus))
def test_each_choice_has_its_own_label(status):
    with translation.override("en"):
        assert TakedownRequest(status=status).get_status_display() == str(status.label)

"""Reminders to platforms that are late. Thin: the claim per reminder is in the service."""

import logging

from celery import shared_task
from django.conf import settings
from django.core.exceptions import ValidationError

from takedowns.ladder_services import ladders_climb_due
from takedowns.services import (
    letters_settle,
    overdue_digests_send,
    platform_figures_refresh,
    takedown_send_reminder,
    takedowns_due_a_reminder,
)

log = logging.getLogger(__name__)


@shared_task
def send_reminders() -> int:
    """Safe to run twice, or on two beats at once: each reminder is claimed by a unique
    (request, sequence) row before it is sent. Letters the outbox has finished with since
    (a reminder sent on a retry) are settled first, so a reminder that went counts before
    the next is due."""
    settled = letters_settle()
    if settled:
        log.info("letters settled from the outbox: %s", settled)
    sent = 0
    for takedown in takedowns_due_a_reminder():
        try:
            letter = takedown_send_reminder(takedown=takedown)
        except ValidationError as error:
            # Consent withdrawn, or the address unapproved, since the list was made.
            log.info("reminder takedown=%s refused: %s", takedown.pk, error.code)
            continue
        if letter is not None and letter.status == "sent":
            sent += 1
            log.info("reminder takedown=%s sequence=%s", takedown.pk, letter.sequence)
    return sent


@shared_task
def send_overdue_digests() -> int:
    """Daily; a second run the same day sends nothing (one email in the outbox a person a
    day)."""
    return overdue_digests_send(base_url=settings.SITE_URL)


@shared_task
def climb_ladders() -> int:
    """Prepare the next rung's draft for requests whose wait lapsed unanswered or that were
    refused. Safe to run twice, or on two beats at once: rows are taken with SKIP LOCKED and
    each is claimed by a conditional UPDATE before its draft is written."""
    prepared = ladders_climb_due()
    if prepared:
        log.info("ladder rungs prepared: %s", prepared)
    return prepared


@shared_task
def refresh_platform_figures() -> int:
    """Every minute: the platform figures' summary of the days whose requests changed, so
    the figures page (which refreshes first too) seldom has any to do."""
    return platform_figures_refresh()

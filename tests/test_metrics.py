"""/metrics (leakcase/metrics.py): who may scrape it, and that its figures are the state of the
database and the broker, parsed with prometheus-client's own parser, with nobody's data in it.
"""

import datetime as dt
import json

import pytest
import redis
import time_machine
from django.conf import settings as django_settings
from kombu import Connection
from prometheus_client.parser import text_string_to_metric_families

from cases.services import case_open
from evidence.demo_images import make_image
from evidence.matching import hash_index
from evidence.models import ReferenceHash, Sighting
from evidence.services import reference_register, sighting_log
from leakcase import metrics
from leakcase.celery import app as celery_app
from outbox.models import EmailKind, EmailStatus, OutgoingEmail
from takedowns.models import TakedownRequest, TakedownStatus

TOKEN = "metrics-token-for-tests-only-0123456789"
NOW = dt.datetime(2026, 5, 20, 12, 0, tzinfo=dt.UTC)
REMINDERS = "takedowns.tasks.send_reminders"
OUTBOX = "outbox.tasks.deliver_outgoing"


@pytest.fixture
def token(settings):
    settings.METRICS_TOKEN = TOKEN
    return TOKEN


@pytest.fixture
def broker_queue():
    """The test's own Redis db's Celery queue, empty before and after (no worker runs here)."""
    client = redis.Redis.from_url(django_settings.REDIS_URL)
    client.delete(*metrics.REDIS_QUEUE_KEYS)
    yield client
    client.delete(*metrics.REDIS_QUEUE_KEYS)


def scrape(client, token=TOKEN):
    response = client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("text/plain; version=")
    return response.content.decode()


def figures(text: str) -> dict:
    """{metric name: {labels as a sorted tuple of pairs: value}} from the exposition text."""
    found: dict = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return found


def value(found: dict, name: str, **labels):
    return found[name][tuple(sorted(labels.items()))]


# --- who may scrape ------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["anonymous", "survivor", "caseworker"])
def test_refused_to_anyone_but_the_scraper_and_supervisors(client, token, who, request):
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))
    response = client.get("/metrics")
    assert response.status_code == 404
    assert b"leakcase_" not in response.content


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer metrics-token-for-tests-only-012345678",  # one character short
        "Bearer metrics-token-for-tests-only-0123456789x",
        "Bearer ",
        f"Basic {TOKEN}",
        TOKEN,
    ],
)
def test_a_wrong_token_is_refused(client, db, token, authorization):
    response = client.get("/metrics", headers={"Authorization": authorization})
    assert response.status_code == 404
    assert b"leakcase_" not in response.content


def test_a_wrong_token_is_refused_even_with_a_supervisor_session(client, token, supervisor):
    client.force_login(supervisor)
    response = client.get("/metrics", headers={"Authorization": "Bearer not-the-token"})
    assert response.status_code == 404


def test_without_a_token_set_no_bearer_token_opens_it(client, db, settings):
    settings.METRICS_TOKEN = ""
    for authorization in ("Bearer ", "Bearer x", f"Bearer {TOKEN}"):
        response = client.get("/metrics", headers={"Authorization": authorization})
        assert response.status_code == 404


def test_the_token_opens_it(client, db, token, broker_queue):
    text = scrape(client)
    assert "leakcase_takedown_requests_overdue 0.0" in text


def test_a_supervisor_signed_in_may_read_it(client, supervisor, broker_queue, settings):
    settings.METRICS_TOKEN = ""
    client.force_login(supervisor)
    response = client.get("/metrics")
    assert response.status_code == 200
    assert value(figures(response.content.decode()), "leakcase_broker_up") == 1
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_openmetrics_when_asked_for(client, db, token, broker_queue):
    response = client.get(
        "/metrics",
        headers={
            "Authorization": f"Bearer {TOKEN}",
            "Accept": "application/openmetrics-text; version=1.0.0",
        },
    )
    assert response["Content-Type"].startswith("application/openmetrics-text")
    assert response.content.decode().endswith("# EOF\n")


def test_only_get(client, db, token):
    response = client.post("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 405


# --- what it says --------------------------------------------------------------------------


def _request(case, status, due_at):
    return TakedownRequest.objects.create(case=case, status=status, due_at=due_at)


def _email(status, kind=EmailKind.NOTICE):
    return OutgoingEmail.objects.create(kind=kind, to_address="a@example.test", status=status)


@pytest.fixture
def seeded(case, survivor, broker_queue):
    """3 overdue requests (one of each waiting status), one due later, a draft and a removed
    one past their time; outbox: 2 pending notices, 1 failed reminder, 1 sent; 2 sightings due
    (1 h and 2 h late) and one not yet; two reference hashes, the newest 30 minutes old;
    in the broker: 2 reminder tasks, 1 outbox task, and a message for a task not ours."""
    late = NOW - dt.timedelta(hours=1)
    for status in (TakedownStatus.SENT, TakedownStatus.ACKNOWLEDGED, TakedownStatus.ESCALATED):
        _request(case, status, late)
    _request(case, TakedownStatus.SENT, NOW + dt.timedelta(hours=1))
    _request(case, TakedownStatus.DRAFT, late)
    _request(case, TakedownStatus.REMOVED, late)

    _email(EmailStatus.PENDING)
    _email(EmailStatus.PENDING)
    _email(EmailStatus.FAILED, kind=EmailKind.REMINDER)
    _email(EmailStatus.SENT)

    for hours, host in ((-1, "a.example"), (-2, "b.example"), (3, "c.example")):
        sighting = sighting_log(case=case, url=f"https://{host}/p", acting_user=survivor)
        Sighting.objects.filter(pk=sighting.pk).update(
            next_check_at=NOW + dt.timedelta(hours=hours)
        )

    for seed, minutes in ((1, 90), (2, 30)):
        reference = reference_register(case=case, data=make_image(seed=seed), acting_user=survivor)
        ReferenceHash.objects.filter(pk=reference.pk).update(
            created_at=NOW - dt.timedelta(minutes=minutes)
        )

    celery_app.send_task(REMINDERS)
    celery_app.send_task(REMINDERS)
    celery_app.send_task(OUTBOX)
    # Someone else's message on the same queue: counted, under "other", never by its name.
    broker_queue.lpush(
        metrics.QUEUE, json.dumps({"headers": {"task": "theirs.send_to.rose@example.test"}})
    )


def test_the_figures_are_the_seeded_state(client, token, seeded, django_assert_num_queries):
    with time_machine.travel(NOW, tick=False), django_assert_num_queries(4):
        text = scrape(client)
    found = figures(text)

    assert value(found, "leakcase_broker_up") == 1
    assert value(found, "leakcase_queue_messages", queue="celery") == 4
    assert found["leakcase_queue_messages_by_task"] == {
        (("task", REMINDERS),): 2,
        (("task", OUTBOX),): 1,
        (("task", "other"),): 1,
    }
    assert value(found, "leakcase_queue_scan_capped") == 0

    assert value(found, "leakcase_rechecks_due") == 2
    assert value(found, "leakcase_recheck_lag_seconds") == 7200
    oldest = NOW - dt.timedelta(hours=2)
    assert value(found, "leakcase_oldest_due_recheck_timestamp_seconds") == oldest.timestamp()

    outbox = found["leakcase_outbox_emails"]
    assert outbox[(("kind", "notice"), ("status", "pending"))] == 2
    assert outbox[(("kind", "reminder"), ("status", "failed"))] == 1
    assert sum(outbox.values()) == 3  # the sent one is not backlog
    assert {dict(labels)["status"] for labels in outbox} == {
        "pending",
        "sending",
        "failed",
        "unconfirmed",
    }

    assert value(found, "leakcase_takedown_requests_overdue") == 3

    assert value(found, "leakcase_reference_hashes") == 2
    assert value(found, "leakcase_reference_hashes_newest_age_seconds") == 30 * 60
    added = value(found, "leakcase_reference_hash_generation", change="added")
    assert added > 0


def test_the_loaded_index_and_whether_it_is_current(client, token, case, survivor, broker_queue):
    reference_register(case=case, data=make_image(seed=1), acting_user=survivor)
    # A lookup in this process loads it. What it holds may include rows of earlier tests'
    # rolled-back transactions (harmless: the SQL fetch finds none, hash_index.py), so the
    # figure is compared with the index itself, not with this test's one row.
    loaded = len(hash_index.current_index())
    assert loaded >= 1
    found = figures(scrape(client))
    assert value(found, "leakcase_hash_index_loaded_rows") == loaded
    assert value(found, "leakcase_hash_index_loaded_bytes") > 0
    assert value(found, "leakcase_hash_index_loaded_current") == 1

    reference_register(case=case, data=make_image(seed=2), acting_user=survivor)
    found = figures(scrape(client))
    assert value(found, "leakcase_reference_hashes") == 2
    assert value(found, "leakcase_hash_index_loaded_rows") == loaded
    assert value(found, "leakcase_hash_index_loaded_current") == 0  # until its next lookup


def test_nothing_due_and_no_references(client, db, token, broker_queue):
    found = figures(scrape(client))
    assert value(found, "leakcase_rechecks_due") == 0
    assert value(found, "leakcase_recheck_lag_seconds") == 0
    assert "leakcase_oldest_due_recheck_timestamp_seconds" not in found
    assert value(found, "leakcase_reference_hashes") == 0
    assert "leakcase_reference_hashes_newest_age_seconds" not in found
    assert value(found, "leakcase_queue_messages", queue="celery") == 0
    assert "leakcase_queue_messages_by_task" not in found  # a family without samples


def test_a_deep_queue_is_read_only_up_to_the_cap(client, db, token, broker_queue, monkeypatch):
    monkeypatch.setattr(metrics, "QUEUE_SCAN_LIMIT", 2)
    for _ in range(3):
        celery_app.send_task(REMINDERS)
    found = figures(scrape(client))
    assert value(found, "leakcase_queue_messages", queue="celery") == 3
    assert value(found, "leakcase_queue_messages_by_task", task=REMINDERS) == 2
    assert value(found, "leakcase_queue_scan_capped") == 1


def test_a_broker_that_cannot_be_read_is_said_so(client, db, token, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    found = figures(scrape(client))
    assert value(found, "leakcase_broker_up") == 0
    assert "leakcase_queue_messages" not in found
    assert value(found, "leakcase_takedown_requests_overdue") == 0  # the rest still answers


def test_the_file_broker_without_redis(client, db, token, settings, tmp_path):
    settings.REDIS_URL = ""
    url = f"sqla+sqlite:///{tmp_path / 'broker.sqlite3'}"
    settings.CELERY_BROKER_URL = url
    found = figures(scrape(client))
    assert value(found, "leakcase_queue_messages", queue="celery") == 0  # no file yet

    with Connection(url) as connection:
        celery_app.send_task(REMINDERS, connection=connection)
        celery_app.send_task(REMINDERS, connection=connection)
        celery_app.send_task(OUTBOX, connection=connection)
        # One taken by a worker: kombu keeps it with visible = 0, not waiting any more.
        with connection.SimpleQueue("celery") as queue:
            queue.get(timeout=1).ack()
    found = figures(scrape(client))
    assert value(found, "leakcase_broker_up") == 1
    assert value(found, "leakcase_queue_messages", queue="celery") == 2
    assert sum(found["leakcase_queue_messages_by_task"].values()) == 2


def test_a_file_broker_that_cannot_be_read_is_said_so(client, db, token, settings, tmp_path):
    settings.REDIS_URL = ""
    broken = tmp_path / "broker.sqlite3"
    broken.write_bytes(b"not a database, and long enough to be read as one" * 4)
    settings.CELERY_BROKER_URL = f"sqla+sqlite:///{broken}"
    found = figures(scrape(client))
    assert value(found, "leakcase_broker_up") == 0
    assert "leakcase_queue_messages" not in found


# --- nobody's data -------------------------------------------------------------------------

CANARY_EMAIL = "canary.metrics.9d1e@example.test"
CANARY_HOST = "canary-metrics-9d1e.example"
CANARY_PSEUDONYM = "CanaryMetrics9d1e"


def test_no_persons_data_in_the_output(client, token, broker_queue, survivor):
    survivor.email = CANARY_EMAIL
    survivor.save()
    case = case_open(survivor=survivor, pseudonym=CANARY_PSEUDONYM, acting_user=survivor)
    sighting = sighting_log(case=case, url=f"https://{CANARY_HOST}/p/1", acting_user=survivor)
    Sighting.objects.filter(pk=sighting.pk).update(next_check_at=NOW)
    reference = reference_register(case=case, data=make_image(seed=3), acting_user=survivor)
    hash_index.current_index()
    _request(case, TakedownStatus.SENT, NOW)
    OutgoingEmail.objects.create(
        kind=EmailKind.NOTICE, to_address=CANARY_EMAIL, subject=CANARY_PSEUDONYM
    )
    celery_app.send_task(REMINDERS, args=[case.reference], kwargsrepr=CANARY_EMAIL)

    text = scrape(client)
    found = figures(text)
    assert value(found, "leakcase_takedown_requests_overdue") == 1  # the rows are counted
    for canary in (
        CANARY_EMAIL,
        "canary.metrics",
        CANARY_HOST,
        CANARY_PSEUDONYM,
        case.reference,
        reference.phash_hex,
        str(reference.phash),
        "example",
    ):
        assert canary.lower() not in text.lower(), canary

import datetime as dt

from django.utils import timezone

from evidence.models import Sighting
from evidence.services import sighting_log


def test_healthy_with_database_and_broker(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "ok": True,
        "database": "ok",
        "broker": "ok",
        "oldest_due_recheck_seconds": 0,
    }
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_unhealthy_when_rechecks_fall_behind(client, case, survivor):
    sighting = sighting_log(case=case, url="https://x.com/a", acting_user=survivor)
    Sighting.objects.filter(pk=sighting.pk).update(
        next_check_at=timezone.now() - dt.timedelta(hours=2)
    )
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["oldest_due_recheck_seconds"] >= 7200
    assert "x.com" not in response.content.decode()


def test_unhealthy_when_the_broker_is_down(client, db, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["broker"] == "ConnectionError"

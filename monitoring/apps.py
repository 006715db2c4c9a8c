from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    """Watching logged links: the guarded fetchers, the classifier, recheck scheduling and
    its tasks. Above evidence (it writes what a check finds on sightings) and takedowns
    (a verified removal or a reappearance moves requests, through takedowns' services)."""

    name = "monitoring"

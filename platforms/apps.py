from django.apps import AppConfig


class PlatformsConfig(AppConfig):
    """The platform directory: sites, their domains and where their takedown requests go.
    Below evidence and takedowns: sightings and requests point at a platform."""

    name = "platforms"

from django.apps import AppConfig


class HostingConfig(AppConfig):
    """The record of who hosts a site: a sighting's host, its registrable domain and
    registrar, the addresses it resolves to, each address's network owner, and the CDN in
    front, every fact with its source and time. Below takedowns (drafts and the ladder read
    its contacts), above evidence (it reads which sightings sit on a host). The lookups that
    talk to the outside world live in monitoring.host_lookup; this app only keeps what they
    found."""

    name = "hosting"

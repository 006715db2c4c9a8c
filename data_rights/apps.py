from django.apps import AppConfig


class DataRightsConfig(AppConfig):
    """Her rights over her data: the export of everything of hers, the erasure of her account
    and cases, and a case's evidence bundle for police or lawyers. Each reads (or deletes
    from) every app, so it sits at the top of the house, above digests; it has no models."""

    name = "data_rights"

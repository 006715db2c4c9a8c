from django.apps import AppConfig


class DelistingConfig(AppConfig):
    name = "delisting"
    verbose_name = "Search delisting"

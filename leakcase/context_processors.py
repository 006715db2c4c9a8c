from django.conf import settings

from leakcase import i18n


def site(request):
    return {
        "QUICK_EXIT_URL": settings.QUICK_EXIT_URL,
        "SITE_TITLE": settings.SITE_TITLE,
        # Whether survivors write takedown requests themselves (pages offer it or not).
        "SURVIVOR_SELF_SERVICE": settings.LEAKCASE_SURVIVOR_SELF_SERVICE,
    }


def support(request):
    """The deployment's support contacts, for templates/_support.html (the footer of every
    survivor page, and pages after a distressing step)."""
    return {"SUPPORT_CONTACTS": settings.SUPPORT_CONTACTS}


def languages(request):
    """The language picker's options (base.html); the current one is LANGUAGE_CODE."""
    return {"LANGUAGE_CHOICES": i18n.picker_choices()}

from django.conf import settings


def site(request):
    return {
        "QUICK_EXIT_URL": settings.QUICK_EXIT_URL,
        "SITE_TITLE": settings.SITE_TITLE,
        # Whether survivors write takedown requests themselves (pages offer it or not).
        "SURVIVOR_SELF_SERVICE": settings.LEAKCASE_SURVIVOR_SELF_SERVICE,
    }

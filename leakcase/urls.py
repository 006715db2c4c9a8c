from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from accounts.urls import urlpatterns as account_urlpatterns
from cases import views as case_views
from cases.urls import urlpatterns as case_file_urlpatterns
from casework import urls as casework_urls
from data_rights import urls as data_rights_urls
from delisting.urls import urlpatterns as delisting_urlpatterns
from evidence.urls import urlpatterns as evidence_urlpatterns
from inbound import webhooks as inbound_webhooks
from inbound.urls import urlpatterns as inbound_urlpatterns
from leakcase.health import healthz
from leakcase.metrics import metrics
from platforms.urls import urlpatterns as platform_urlpatterns
from takedowns.urls import case_urlpatterns, figures_urlpatterns

urlpatterns = [
    path("", case_views.home, name="home"),
    path("accounts/", include("allauth.urls")),
    # Her export and erasure (data_rights/) keep the names and paths they had in accounts.
    path(
        "account/",
        include((data_rights_urls.account_urlpatterns + account_urlpatterns, "accounts")),
    ),
    # The case file (cases/) and the pages that compose every app (casework/: the dashboard,
    # the caseload, the case page and its forms): one namespace each, the same paths as before.
    path("", include((case_file_urlpatterns + casework_urls.case_urlpatterns, "cases"))),
    path(
        "cases/<str:reference>/",
        include(
            (
                casework_urls.evidence_urlpatterns
                + evidence_urlpatterns
                + data_rights_urls.case_urlpatterns,
                "evidence",
            )
        ),
    ),
    path("cases/<str:reference>/takedowns/", include((case_urlpatterns, "takedowns"))),
    # A link in search results, tracked apart from removal (delisting/).
    path(
        "cases/<str:reference>/sightings/<uuid:sighting_id>/search/<str:engine>/",
        include((delisting_urlpatterns, "delisting")),
    ),
    # The platform directory (platforms/) and how each platform answers, which counts
    # takedown requests and so lives in takedowns: one namespace, the same paths as before.
    path("platforms/", include((platform_urlpatterns + figures_urlpatterns, "platforms"))),
    # Mail that came back and no rule could file, and every received message's page.
    path("inbox/", include((inbound_urlpatterns, "inbound"))),
    path("email/", include("digests.urls")),
    path("email/", include("outbox.urls")),
    path("activity/", include("audit.urls")),
    # Mail providers' inbound webhooks (inbound/webhooks.py): each 404 until its secret is
    # set. Mailgun sends the raw message only to a URL that ends in "mime".
    path(
        "inbound/",
        include(
            (
                [
                    path("mailgun/mime/", inbound_webhooks.mailgun_inbound, name="mailgun"),
                    path("mailersend/", inbound_webhooks.mailersend_inbound, name="mailersend"),
                    path("postmark/", inbound_webhooks.postmark_inbound, name="postmark"),
                    path("sendgrid/", inbound_webhooks.sendgrid_inbound, name="sendgrid"),
                ],
                "inbound_webhooks",
            )
        ),
    ),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    # The words our scripts show (static/leakcase/*.js: gettext(), interpolate()), in the
    # page's language: the djangojs catalogs (bin/messages). base.html loads it first.
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript_catalog"),
    # Prometheus's scrape: a bearer token (METRICS_TOKEN) or a supervisor (leakcase/metrics.py).
    path("metrics", metrics, name="metrics"),
]

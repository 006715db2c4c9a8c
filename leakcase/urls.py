from django.contrib import admin
from django.urls import include, path

from cases import views as case_views
from leakcase.health import healthz
from platforms.urls import urlpatterns as platform_urlpatterns
from takedowns.urls import case_urlpatterns, figures_urlpatterns

urlpatterns = [
    path("", case_views.home, name="home"),
    path("accounts/", include("allauth.urls")),
    path("account/", include("accounts.urls")),
    path("", include("cases.urls")),
    path("cases/<str:reference>/", include("evidence.urls")),
    path("cases/<str:reference>/takedowns/", include((case_urlpatterns, "takedowns"))),
    # The platform directory (platforms/) and how each platform answers, which counts
    # takedown requests and so lives in takedowns: one namespace, the same paths as before.
    path("platforms/", include((platform_urlpatterns + figures_urlpatterns, "platforms"))),
    path("email/", include("digests.urls")),
    path("email/", include("outbox.urls")),
    path("activity/", include("audit.urls")),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
]

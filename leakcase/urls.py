from django.contrib import admin
from django.urls import include, path

from cases import views as case_views
from leakcase.health import healthz
from takedowns.urls import case_urlpatterns, platform_urlpatterns

urlpatterns = [
    path("", case_views.home, name="home"),
    path("accounts/", include("allauth.urls")),
    path("account/", include("accounts.urls")),
    path("", include("cases.urls")),
    path("cases/<str:reference>/", include("evidence.urls")),
    path("cases/<str:reference>/takedowns/", include((case_urlpatterns, "takedowns"))),
    path("platforms/", include((platform_urlpatterns, "platforms"))),
    path("email/", include("digests.urls")),
    path("email/", include("outbox.urls")),
    path("activity/", include("audit.urls")),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
]

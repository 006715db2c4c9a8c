from django.contrib import admin
from django.urls import include, path

from cases import views as case_views

urlpatterns = [
    path("", case_views.home, name="home"),
    path("accounts/", include("allauth.urls")),
    path("", include("cases.urls")),
    path("cases/<str:reference>/", include("evidence.urls")),
    path("admin/", admin.site.urls),
]

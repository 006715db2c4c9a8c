from django.urls import path

from platforms import views

# Namespace "platforms", mounted under /platforms/ (leakcase/urls.py, which adds the figures
# page from takedowns to it: they count takedown requests).
urlpatterns = [
    path("", views.platform_list, name="list"),
    path("new/", views.platform_edit, name="new"),
    path("<slug:slug>/edit/", views.platform_edit, name="edit"),
]

from django.urls import path

from delisting import views

# Namespace "delisting", mounted under /cases/<reference>/sightings/<uuid>/search/<engine>/
# (leakcase/urls.py): every listing is reached through its link's case.
urlpatterns = [
    path("seen/", views.listing_record, name="record"),
    path("request/", views.delisting_draft, name="draft"),
    path("delisted/", views.delisting_done, name="done"),
    path("outdated/", views.outdated_removal, name="outdated"),
]

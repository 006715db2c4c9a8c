from django.urls import path

from evidence import views

# Namespace "evidence", mounted under /cases/<reference>/: every child is reached through its
# case. leakcase/urls.py adds the case page's own forms (sighting_add, sightings_paste,
# upload: casework) and the case's evidence bundle (data_rights) to it.
urlpatterns = [
    path("evidence/<uuid:evidence_id>/", views.evidence_detail, name="detail"),
    path(
        "evidence/<uuid:evidence_id>/matches/<uuid:match_id>/confirm/",
        views.match_confirm,
        name="match_confirm",
    ),
    path("evidence/<uuid:evidence_id>/crop/", views.evidence_crop, name="crop"),
    path("references/", views.references, name="references"),
    path("references/exchange-file/", views.hash_export, name="hash_export"),
    path(
        "references/fingerprints/",
        views.reference_fingerprints,
        name="reference_fingerprints",
    ),
    path(
        "references/<uuid:reference_id>/delete/", views.reference_delete, name="reference_delete"
    ),
    path(
        "evidence/<uuid:evidence_id>/<str:rendition>/",
        views.evidence_file,
        name="file",
    ),
]

from django.urls import path

from casework import link_views, views

# Added to the namespace "cases" (leakcase/urls.py), after cases' own patterns so that
# cases/new/ is never read as a case reference: the same names and paths as before.
case_urlpatterns = [
    path("cases/", views.case_list, name="list"),
    path("caseload/", views.caseload, name="caseload"),
    path("cases/<str:reference>/", views.case_detail, name="detail"),
    path("cases/<str:reference>/triage/", views.case_triage, name="triage"),
    path("cases/<str:reference>/status/", views.case_status, name="status"),
    path("cases/<str:reference>/assign/", views.case_assign, name="assign"),
    path("cases/<str:reference>/notes/", views.note_add, name="note_add"),
    path("cases/<str:reference>/consent/", views.case_consent, name="consent"),
    path("cases/<str:reference>/messages/", views.message_post, name="message_post"),
    path("cases/<str:reference>/messages/change/", views.message_change, name="message_change"),
    path(
        "cases/<str:reference>/notice-contact/", views.case_notice_contact, name="notice_contact"
    ),
]

# Added to the namespace "evidence", mounted under /cases/<reference>/ (leakcase/urls.py):
# the case page's sighting and upload forms, which show the case page again when the input
# needs fixing.
evidence_urlpatterns = [
    path("sightings/add/", views.sighting_add, name="sighting_add"),
    path("sightings/paste/", views.sightings_paste, name="sightings_paste"),
    path("evidence/upload/", views.evidence_upload, name="upload"),
    # A link's page and what people say about it (casework.link_views).
    path("sightings/<uuid:sighting_id>/", link_views.sighting_detail, name="sighting_detail"),
    path(
        "sightings/<uuid:sighting_id>/status/", link_views.sighting_status, name="sighting_status"
    ),
    path(
        "sightings/<uuid:sighting_id>/correct/",
        link_views.sighting_correct,
        name="sighting_correct",
    ),
    path(
        "sightings/<uuid:sighting_id>/remove/",
        link_views.sighting_withdraw,
        name="sighting_withdraw",
    ),
]

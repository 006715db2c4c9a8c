from django.urls import include, path

from casework import link_views, views

# Added to the namespace "cases" (leakcase/urls.py), after cases' own patterns so that
# cases/new/ is never read as a case reference: the same names and paths as before.
case_urlpatterns = [
    path("cases/", views.case_list, name="list"),
    path("caseload/", views.caseload, name="caseload"),
    path(
        "cases/<str:reference>/",
        include(
            [
                path("", views.case_detail, name="detail"),
                path("triage/", views.case_triage, name="triage"),
                path("status/", views.case_status, name="status"),
                path("assign/", views.case_assign, name="assign"),
                path("notes/", views.note_add, name="note_add"),
                path("consent/", views.case_consent, name="consent"),
                path("messages/", views.message_post, name="message_post"),
                path("messages/change/", views.message_change, name="message_change"),
                path("notice-contact/", views.case_notice_contact, name="notice_contact"),
                path("programmes/", views.programme_case_record, name="programme_record"),
                path("hash-sharing/", views.case_hash_sharing, name="hash_sharing"),
            ]
        ),
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
    path(
        "sightings/<uuid:sighting_id>/",
        include(
            [
                path("", link_views.sighting_detail, name="sighting_detail"),
                path("status/", link_views.sighting_status, name="sighting_status"),
                path("correct/", link_views.sighting_correct, name="sighting_correct"),
                path("remove/", link_views.sighting_withdraw, name="sighting_withdraw"),
            ]
        ),
    ),
]

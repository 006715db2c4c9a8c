from django.urls import path

from cases import views

app_name = "cases"

urlpatterns = [
    path("cases/", views.case_list, name="list"),
    path("cases/new/", views.case_open, name="open"),
    path("cases/new/for-caller/", views.case_open_for_caller, name="open_for_caller"),
    path("caseload/", views.caseload, name="caseload"),
    path("caseload/assign/", views.caseload_assign, name="caseload_assign"),
    path("invitations/<str:token>/", views.invitation_claim, name="claim"),
    path("cases/<str:reference>/", views.case_detail, name="detail"),
    path("cases/<str:reference>/triage/", views.case_triage, name="triage"),
    path("cases/<str:reference>/status/", views.case_status, name="status"),
    path("cases/<str:reference>/assign/", views.case_assign, name="assign"),
    path("cases/<str:reference>/notes/", views.note_add, name="note_add"),
    path("cases/<str:reference>/consent/", views.case_consent, name="consent"),
    path(
        "cases/<str:reference>/notice-contact/", views.case_notice_contact, name="notice_contact"
    ),
    path("cases/<str:reference>/invitation/", views.invitation_issue, name="invitation"),
]

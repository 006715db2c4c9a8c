from django.urls import path

from cases import views

app_name = "cases"

# The case file's own pages and writes. The dashboard, the caseload and the case page (with
# the forms shown on it) compose every app and are casework's, joined to this namespace in
# leakcase/urls.py under the same names and paths.
urlpatterns = [
    path("cases/new/", views.case_open, name="open"),
    path("cases/new/for-caller/", views.case_open_for_caller, name="open_for_caller"),
    path("caseload/assign/", views.caseload_assign, name="caseload_assign"),
    path("invitations/<str:token>/", views.invitation_claim, name="claim"),
    path("cases/<str:reference>/invitation/", views.invitation_issue, name="invitation"),
]

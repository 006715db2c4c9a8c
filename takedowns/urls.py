from django.urls import path

from takedowns import views

# Namespace "takedowns", mounted under /cases/<reference>/takedowns/: every request is
# reached through its case.
case_urlpatterns = [
    path("draft/", views.takedown_draft, name="draft"),
    path("<uuid:takedown_id>/", views.takedown_detail, name="detail"),
    path("<uuid:takedown_id>/edit/", views.takedown_edit, name="edit"),
    path("<uuid:takedown_id>/send/", views.takedown_send, name="send"),
    path("<uuid:takedown_id>/submitted/", views.takedown_submitted, name="submitted"),
    path("<uuid:takedown_id>/reply/", views.takedown_reply, name="reply"),
    path(
        "<uuid:takedown_id>/counter-notice/", views.takedown_counter_notice, name="counter_notice"
    ),
    path("<uuid:takedown_id>/escalate/", views.takedown_escalate, name="escalate"),
    path(
        "<uuid:takedown_id>/approve-recipient/",
        views.takedown_approve_recipient,
        name="approve_recipient",
    ),
    path(
        "<uuid:takedown_id>/confirm-decision/",
        views.takedown_confirm_decision,
        name="confirm_decision",
    ),
]

# Namespace "platforms", mounted under /platforms/.
platform_urlpatterns = [
    path("", views.platform_list, name="list"),
    path("new/", views.platform_edit, name="new"),
    path("figures/", views.platform_figures, name="figures"),
    path("<slug:slug>/edit/", views.platform_edit, name="edit"),
]

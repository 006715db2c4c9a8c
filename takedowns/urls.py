from django.urls import include, path

from takedowns import views

# Namespace "takedowns", mounted under /cases/<reference>/takedowns/: every request is
# reached through its case.
case_urlpatterns = [
    path("draft/", views.takedown_draft, name="draft"),
    path(
        "<uuid:takedown_id>/",
        include(
            [
                path("", views.takedown_detail, name="detail"),
                path("edit/", views.takedown_edit, name="edit"),
                path("send/", views.takedown_send, name="send"),
                path("submitted/", views.takedown_submitted, name="submitted"),
                path("reply/", views.takedown_reply, name="reply"),
                path("counter-notice/", views.takedown_counter_notice, name="counter_notice"),
                path("escalate/", views.takedown_escalate, name="escalate"),
                path(
                    "approve-recipient/",
                    views.takedown_approve_recipient,
                    name="approve_recipient",
                ),
                path("skip-rung/", views.takedown_skip_rung, name="skip_rung"),
                path(
                    "confirm-decision/", views.takedown_confirm_decision, name="confirm_decision"
                ),
                path("who-hosts/lookup/", views.takedown_host_lookup, name="host_lookup"),
            ]
        ),
    ),
]

# Added to the namespace "platforms" (/platforms/, leakcase/urls.py): how each platform
# answers, counted from takedown requests, so read here and not in platforms, below us.
figures_urlpatterns = [
    path("figures/", views.platform_figures, name="figures"),
    # The ladder's waits and automatic sending, per rung (supervisors).
    path("ladder/", views.ladder_settings, name="ladder"),
]

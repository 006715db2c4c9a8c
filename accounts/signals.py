"""Signals sent by accounts' services, for the audit trail to listen to."""

from django.dispatch import Signal

# user: the account deactivated; acting_user: who did it; sessions_ended: how many.
user_deactivated = Signal()
# user: whose sessions; acting_user: who ended them; count: how many were ended.
sessions_ended = Signal()

"""The request page's "Replies" panel (templates/takedowns/_replies.html) reads the mail
filed on a request through this tag: takedowns, below inbound, cannot import it, and the
request's page needs no new view for it."""

from django import template

from inbound import selectors, vault
from inbound.forms import ConfirmForm

register = template.Library()


@register.simple_tag
def replies_for(takedown):
    found = selectors.messages_for_request(takedown)
    for message in found:
        message.sender_is_platform = selectors.sender_is_recipient(takedown, message.from_address)
        for attachment in message.attachments.all():
            attachment.name = vault.attachment_name(attachment) or "(no name)"
    return found


@register.simple_tag
def confirm_form():
    return ConfirmForm()

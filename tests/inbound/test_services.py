from inbound.services import inbound_receive
from tests.helpers import mail


def test_a_reply_to_the_request_address_is_filed_on_it(emailed_request):
    raw = mail.reply_to_request(
        emailed_request, body="We have removed the content you reported."
    ).as_bytes()
    message = inbound_receive(raw=raw, source="imap:INBOX")
    assert (message.status, message.kind, message.routed_by) == ("filed", "reply", "token")
    assert message.takedown == emailed_request
    assert message.suggested_decision == "removed"
    emailed_request.refresh_from_db()
    assert emailed_request.status == "sent"  # nothing applied by itself

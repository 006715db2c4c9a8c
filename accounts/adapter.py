from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from allauth.mfa.adapter import DefaultMFAAdapter
from django.conf import settings
from django.contrib.sites.shortcuts import get_current_site
from django.utils import translation

from accounts import network, secretbox
from accounts.models import User
from leakcase.emails import language_of
from outbox.models import EmailKind
from outbox.services import outgoing_send_after_commit, outgoing_write


class AccountAdapter(DefaultAccountAdapter):
    def save_user(self, request, user, form, commit=True):
        # Anyone who signs up is a survivor (or acting for one). Staff accounts are made by
        # an admin, never through the public form.
        user = super().save_user(request, user, form, commit=False)
        user.email = user.email.lower()
        user.role = "survivor"
        if commit:
            user.save()
        return user

    def get_client_ip(self, request):
        # allauth's rate limits see the same address as the lockouts (accounts/network.py).
        return network.client_ip(request)

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """allauth's mail (confirmation links, password resets) goes out like every other
        email: rendered as allauth renders it, written in the outbox, sent once the request's
        transaction commits, and retried by the outbox if the mail server does not take it.
        The context is allauth's own (DefaultAccountAdapter.send_mail).

        In her account's language; a mail with no account behind it (allauth's "no account
        with this address" when someone asks for a reset) in the language of the page that
        asked, which is the reader's own."""
        request = allauth_context.request
        ctx = {"request": request, "email": email, "current_site": get_current_site(request)}
        ctx.update(context)
        user = context.get("user")
        language = translation.get_language() or settings.LANGUAGE_CODE
        if isinstance(user, User) and user.language:
            language = language_of(user)
        with translation.override(language):
            message = self.render_mail(template_prefix, email, ctx)
        row = outgoing_write(
            kind=EmailKind.ACCOUNT,
            message=message,
            user=user if isinstance(user, User) and user.pk else None,
        )
        outgoing_send_after_commit(email=row)


class MFAAdapter(DefaultMFAAdapter):
    """allauth stores TOTP secrets and recovery-code seeds through these two hooks; by
    default they store them as they are."""

    def encrypt(self, text: str) -> str:
        return secretbox.seal(text)

    def decrypt(self, encrypted_text: str) -> str:
        return secretbox.unseal(encrypted_text)

    def can_delete_authenticator(self, authenticator) -> bool:
        # Staff must keep a second factor; a survivor may turn hers off.
        return not authenticator.user.is_support_staff

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter

from accounts import network, secretbox


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

from allauth.account.adapter import DefaultAccountAdapter


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

import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import pgettext_lazy

from leakcase.choices import QuickChoiceLabels


def user_on_record() -> models.ForeignKey:
    """The account that did what a row records (uploaded it, confirmed it, approved it, wrote
    it): optional, set to NULL when that account is deleted so the record outlives it, and no
    reverse accessor on User. One declaration for every such column, so they cannot drift."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )


class Role(models.TextChoices):
    SURVIVOR = "survivor", pgettext_lazy("account role", "Survivor")
    CASEWORKER = "caseworker", pgettext_lazy("account role", "Caseworker")
    SUPERVISOR = "supervisor", pgettext_lazy("account role", "Supervisor")
    ADMIN = "admin", pgettext_lazy("account role", "Admin")


STAFF_ROLES = {Role.CASEWORKER, Role.SUPERVISOR, Role.ADMIN}


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra):
        if not email:
            raise ValueError("An email address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("role", Role.SURVIVOR)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra.update(role=Role.ADMIN, is_staff=True, is_superuser=True)
        return self._create_user(email, password, **extra)


class User(QuickChoiceLabels, AbstractBaseUser, PermissionsMixin):
    """Someone who signs in. Email is the login; the role decides what they may see."""

    email = models.EmailField("email address", unique=True)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.SURVIVOR)
    display_name = models.CharField(
        max_length=80, blank=True, help_text="Shown to colleagues; survivors need none."
    )
    is_active = models.BooleanField(default=True)
    # Django admin access: for the admin role only. Set by an admin with the role.
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)
    # Her pages and emails are in this language (a code from settings.LANGUAGES), once she
    # has picked one or signed up in it; blank: the language cookie, then her browser's.
    # Her weekly and update emails, sent by workers with no browser to ask, use it too.
    language = models.CharField(max_length=8, choices=settings.LANGUAGES, blank=True, default="")

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]

    def __str__(self):
        return self.display_name or self.email

    @property
    def is_survivor(self) -> bool:
        return self.role == Role.SURVIVOR

    @property
    def is_caseworker(self) -> bool:
        return self.role == Role.CASEWORKER

    @property
    def is_supervisor(self) -> bool:
        return self.role in (Role.SUPERVISOR, Role.ADMIN)

    @property
    def is_support_staff(self) -> bool:
        return self.role in STAFF_ROLES


class UserSession(models.Model):
    """One login of hers: which session it is, when it began and was last used, and what kind
    of browser it came from, so she can see her sessions and end the others.

    No address is kept. Last seen is written at most once a minute (accounts/middleware.py).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="user_sessions")
    # The key of the django.contrib.sessions row; a bearer secret, never shown.
    session_key = models.CharField(max_length=40, unique=True)
    started_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)
    browser = models.CharField(max_length=60, blank=True, help_text="e.g. Firefox on Windows")

    class Meta:
        ordering = ["-last_seen_at"]

    def __str__(self):
        return f"{self.browser or 'A browser'} since {self.started_at:%Y-%m-%d %H:%M}"

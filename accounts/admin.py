from allauth.account.decorators import secure_admin_login
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from accounts import services
from accounts.models import User

# The admin's own login form would take a password alone: send it to ours, which asks for the
# second factor (allauth's documented way). django-axes still counts any password tried.
admin.site.login = secure_admin_login(admin.site.login)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ("email",)
    list_display = ("email", "role", "display_name", "is_active", "date_joined")
    list_filter = ("role", "is_active")
    search_fields = ("email", "display_name")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("display_name", "role")}),
        ("Access", {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    actions = ["deactivate"]
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "role", "password1", "password2")}),
    )

    def save_model(self, request, obj, form, change):
        # Unticking "active" goes through the service, which also ends all her sessions.
        deactivating = change and "is_active" in form.changed_data and not obj.is_active
        if deactivating:
            obj.is_active = True  # the service sets it, with the sessions, in one place
        super().save_model(request, obj, form, change)
        if deactivating:
            services.user_deactivate(user=obj, acting_user=request.user)

    @admin.action(description="Deactivate the selected users and end their sessions")
    def deactivate(self, request, queryset):
        ended = sum(
            services.user_deactivate(user=user, acting_user=request.user)
            for user in queryset.filter(is_active=True)
        )
        self.message_user(
            request, f"Deactivated; {ended} session(s) ended.", level=messages.SUCCESS
        )

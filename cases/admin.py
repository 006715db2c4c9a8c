from django.contrib import admin

from cases.models import Case, CaseEvent


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    list_display = ("reference", "status", "priority", "assigned_to", "created_at")
    list_filter = ("status", "priority")
    search_fields = ("reference",)
    readonly_fields = ("reference", "created_at", "updated_at")


@admin.register(CaseEvent)
class CaseEventAdmin(admin.ModelAdmin):
    # The audit trail is append-only, in the admin too.
    list_display = ("case", "kind", "actor", "created_at")
    list_filter = ("kind",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

from django.contrib import admin

from evidence.models import EvidenceAccess, Sighting


@admin.register(Sighting)
class SightingAdmin(admin.ModelAdmin):
    list_display = ("case", "host", "platform", "status", "created_at")
    list_filter = ("status",)
    search_fields = ("case__reference", "host")


@admin.register(EvidenceAccess)
class EvidenceAccessAdmin(admin.ModelAdmin):
    list_display = ("evidence", "user", "action", "created_at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

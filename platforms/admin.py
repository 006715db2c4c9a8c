from django.contrib import admin

from platforms.models import Platform, PlatformDomain


class PlatformDomainInline(admin.TabularInline):
    model = PlatformDomain
    extra = 1


@admin.register(Platform)
class PlatformAdmin(admin.ModelAdmin):
    list_display = ("name", "slug")
    search_fields = ("name", "domains__domain")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [PlatformDomainInline]

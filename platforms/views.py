from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET

from access.permissions import staff_required, supervisor_required
from leakcase.forms import add_validation_errors, sent_once
from platforms import services
from platforms.forms import PlatformForm
from platforms.models import Platform


@staff_required
@require_GET
def platform_list(request):
    platforms = Platform.objects.prefetch_related("domains")
    return render(request, "platforms/platform_list.html", {"platforms": platforms})


@supervisor_required
@sent_once
def platform_edit(request, slug=None):
    platform = get_object_or_404(Platform, slug=slug) if slug else Platform()
    form = PlatformForm(request.POST if request.method == "POST" else None, instance=platform)
    if request.method == "POST" and form.is_valid():
        try:
            services.platform_save(
                platform=form.save(commit=False),
                domains=form.cleaned_data["domains_text"].splitlines(),
                acting_user=request.user,
            )
        except ValidationError as error:
            add_validation_errors(form, error)
        else:
            messages.success(request, f"{platform.name} is saved.")
            return redirect("platforms:list")
    return render(
        request,
        "platforms/platform_edit.html",
        {"form": form, "platform": platform},
        status=400 if form.errors else 200,
    )

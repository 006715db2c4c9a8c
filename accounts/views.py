from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from accounts import services
from accounts.forms import EraseForm, PasswordConfirmForm
from evidence.bundles import survivor_export


def _survivor(request):
    if not request.user.is_survivor:
        raise Http404("Not found")


@login_required
@require_http_methods(["GET", "POST"])
def data_export(request):
    """Download everything of hers, after typing her password again."""
    _survivor(request)
    form = PasswordConfirmForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        if request.user.check_password(form.cleaned_data["password"]):
            response = HttpResponse(survivor_export(request.user), content_type="application/zip")
            response["Content-Disposition"] = 'attachment; filename="my-leakcase-data.zip"'
            response["Cache-Control"] = "no-store"
            return response
        form.add_error("password", "That password is not right.")
    return render(
        request, "accounts/export.html", {"form": form}, status=400 if form.errors else 200
    )


@login_required
@require_http_methods(["GET", "POST"])
def account_erase(request):
    _survivor(request)
    form = EraseForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            counts = services.account_erase(
                user=request.user, password=form.cleaned_data["password"]
            )
        except ValidationError as error:
            form.add_error("password", error.message_dict["password"])
        else:
            logout(request)
            messages.success(
                request,
                f"Your account is erased: {counts['cases']} case(s) and "
                f"{counts['evidence files']} evidence file(s) are gone.",
            )
            return redirect("home")
    return render(
        request, "accounts/erase.html", {"form": form}, status=400 if form.errors else 200
    )

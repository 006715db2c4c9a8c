"""Her data, her rights: the download of everything of hers, the erasure of her account, and
a case's evidence bundle. URL names and paths are those they always had (accounts:export,
accounts:erase, evidence:bundle): data_rights.urls adds them to those namespaces."""

from django.contrib import messages
from django.contrib.auth import logout
from django.core.exceptions import ValidationError
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_GET

from access.permissions import case_for_user, login_required, survivor_required
from data_rights import bundles, services
from data_rights.forms import EraseForm, PasswordConfirmForm
from leakcase.forms import sent_once


@survivor_required
@sent_once
def data_export(request):
    """Download everything of hers, after typing her password again."""
    form = PasswordConfirmForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        if request.user.check_password(form.cleaned_data["password"]):
            # Written as it is sent: a case with gigabytes of evidence never sits in memory.
            response = StreamingHttpResponse(
                bundles.survivor_export(request.user), content_type="application/zip"
            )
            # A neutral name: a downloads folder is seen by whoever borrows the device.
            response["Content-Disposition"] = (
                f'attachment; filename="export-{timezone.localdate():%Y-%m-%d}.zip"'
            )
            response["Cache-Control"] = "no-store"
            return response
        form.add_error("password", gettext("That password is not right."))
    return render(
        request, "data_rights/export.html", {"form": form}, status=400 if form.errors else 200
    )


@survivor_required
@sent_once
def account_erase(request):
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
                # Translators: the two counts are sentences of their own below.
                gettext("Your account is erased: %(cases)s and %(files)s are gone.")
                % {
                    "cases": ngettext("%(count)s case", "%(count)s cases", counts["cases"])
                    % {"count": counts["cases"]},
                    "files": ngettext(
                        "%(count)s evidence file",
                        "%(count)s evidence files",
                        counts["evidence files"],
                    )
                    % {"count": counts["evidence files"]},
                },
            )
            return redirect("home")
    return render(
        request, "data_rights/erase.html", {"form": form}, status=400 if form.errors else 200
    )


@login_required
@require_GET
def case_bundle(request, reference):
    """The evidence bundle for police or lawyers, as a ZIP written as it is sent."""
    case = case_for_user(request.user, reference)
    response = StreamingHttpResponse(
        bundles.case_bundle(case, request.user), content_type="application/zip"
    )
    # A neutral name (no reference, no "evidence"): a downloads folder is seen by others.
    response["Content-Disposition"] = content_disposition_header(
        True, f"bundle-{timezone.localdate():%Y-%m-%d}.zip"
    )
    response["Cache-Control"] = "no-store, private"
    return response

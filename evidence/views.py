from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_POST

from cases.selectors import case_for_user
from cases.views import render_case_page
from evidence import selectors, services, vault
from evidence.forms import EvidenceUploadForm, PasteSightingsForm, SightingForm
from evidence.models import AccessAction


def _add_errors(form, error: ValidationError):
    for field, messages_ in error.message_dict.items():
        form.add_error(field if field in form.fields else None, messages_)


@login_required
@require_POST
def sighting_add(request, reference):
    case = case_for_user(request.user, reference)
    form = SightingForm(request.POST)
    if form.is_valid():
        try:
            services.sighting_log(case=case, acting_user=request.user, **form.cleaned_data)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, "The sighting is logged.")
            return redirect("cases:detail", reference=case.reference)
    return render_case_page(request, case, status=400, sighting_form=form)


@login_required
@require_POST
def sightings_paste(request, reference):
    case = case_for_user(request.user, reference)
    form = PasteSightingsForm(request.POST)
    if form.is_valid():
        try:
            result = services.sightings_log_pasted(
                case=case, text=form.cleaned_data["urls"], acting_user=request.user
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            # Rendered, not redirected: the problems by line are the point of the answer.
            return render_case_page(
                request, case, paste_result=result, paste_form=PasteSightingsForm()
            )
    return render_case_page(request, case, status=400, paste_form=form)


@login_required
@require_GET
def sighting_detail(request, reference, sighting_id):
    sighting = selectors.sighting_for_user(request.user, reference, sighting_id)
    return render(
        request,
        "evidence/sighting_detail.html",
        {
            "case": sighting.case,
            "sighting": sighting,
            "evidence_files": list(sighting.evidence_files.all()),
        },
    )


@login_required
@require_POST
def evidence_upload(request, reference):
    case = case_for_user(request.user, reference)
    sightings = list(selectors.case_sightings(case))
    form = EvidenceUploadForm(request.POST, request.FILES, sightings=sightings)
    if form.is_valid():
        chosen = form.cleaned_data["sighting"]
        sighting = next((s for s in sightings if str(s.pk) == chosen), None)
        try:
            evidence = services.evidence_add(
                case=case,
                upload=form.cleaned_data["image"],
                acting_user=request.user,
                sighting=sighting,
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(
                request, "The screenshot is saved. It stays blurred until you reveal it."
            )
            return redirect("evidence:detail", reference=case.reference, evidence_id=evidence.pk)
    return render_case_page(request, case, status=400, upload_form=form)


@login_required
@require_GET
def evidence_detail(request, reference, evidence_id):
    evidence = selectors.evidence_for_user(request.user, reference, evidence_id)
    return render(
        request, "evidence/evidence_detail.html", {"case": evidence.case, "evidence": evidence}
    )


# What each serving view streams: (file field, access to log, inline or attachment).
_RENDITIONS = {
    "preview": ("preview", None, "inline"),
    "thumbnail": ("thumbnail", AccessAction.REVEAL, "inline"),
    "image": ("file", AccessAction.REVEAL, "inline"),
    "download": ("file", AccessAction.DOWNLOAD, "attachment"),
}


@login_required
@require_GET
def evidence_file(request, reference, evidence_id, rendition):
    """Stream one rendition of an evidence file to someone allowed to see it. The blurred
    preview is not logged; everything that shows the image is."""
    if rendition not in _RENDITIONS:
        raise Http404("No such rendition")
    evidence = selectors.evidence_for_user(request.user, reference, evidence_id)
    field_name, action, disposition = _RENDITIONS[rendition]
    stored = getattr(evidence, field_name)
    if action is not None:
        services.evidence_access_record(evidence=evidence, user=request.user, action=action)
    content_type = evidence.content_type if field_name == "file" else "image/jpeg"
    extension = stored.name.removesuffix(".sealed").rsplit(".", 1)[-1]
    filename = f"{evidence.case.reference}-evidence-{str(evidence.pk)[:8]}.{extension}"
    response = HttpResponse(vault.read(evidence, field_name), content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(
        disposition == "attachment", filename
    )
    response["Cache-Control"] = "no-store, private"
    response["X-Content-Type-Options"] = "nosniff"
    return response

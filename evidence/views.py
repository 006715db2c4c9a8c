import logging

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_GET

from access.permissions import (
    case_for_user,
    cases_visible_to,
    evidence_for_user,
    login_required,
    match_for_user,
    reference_for_user,
    staff_required,
)
from evidence import hash_exchange, selectors, services, vault
from evidence.forms import (
    CropForm,
    ReferenceFingerprintsForm,
    ReferenceForm,
)
from evidence.image_open import MAX_PIXELS
from evidence.models import AccessAction
from leakcase.forms import add_validation_errors, post_only, sent_once

log = logging.getLogger(__name__)


@login_required
@require_GET
def evidence_detail(request, reference, evidence_id):
    evidence = evidence_for_user(request.user, reference, evidence_id)
    return _evidence_page(request, evidence, CropForm())


def _evidence_page(request, evidence, crop_form, *, status=200):
    """The evidence file's page: the picture, its suggested matches (in her case and, for
    staff, in others they can see) and the form to look again in an area of it."""
    matches, other_matches = selectors.evidence_suggestions(
        evidence, request.user, visible_cases=cases_visible_to(request.user)
    )
    return render(
        request,
        "evidence/evidence_detail.html",
        {
            "case": evidence.case,
            "evidence": evidence,
            "original_name": selectors.evidence_original_name_for(request.user, evidence),
            "matches": matches,
            "other_matches": other_matches,
            "crop_form": crop_form,
        },
        status=status,
    )


# What an <img> of a file missing from storage shows: grey, with the words, no script.
MISSING_PICTURE = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="320" height="200" viewBox="0 0 320 200" '
    'role="img"><title>File missing from storage</title>'
    '<rect width="320" height="200" fill="#d9dce1"/>'
    '<text x="160" y="95" font-family="sans-serif" font-size="18" text-anchor="middle" '
    'fill="#1f2328">File missing from storage</text>'
    '<text x="160" y="122" font-family="sans-serif" font-size="13" text-anchor="middle" '
    'fill="#1f2328">Open the file\'s page for what to do</text></svg>'
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
    evidence = evidence_for_user(request.user, reference, evidence_id)
    field_name, action, disposition = _RENDITIONS[rendition]
    stored = getattr(evidence, field_name)
    try:
        plaintext = vault.read(evidence, field_name)
    except vault.EvidenceMissing as missing:
        # Not a 500: the row is fine, its object is gone, and only an administrator can
        # bring it back (from a backup). Nothing was shown, so no access is recorded.
        log.error("%s", missing)  # ids only: which row, which rendition
        if disposition == "inline":
            # Our pages show these renditions in an <img>: a picture that says it is missing
            # reads better on the case page than a broken-image icon; the file's own page
            # and a download say it in words.
            response = HttpResponse(MISSING_PICTURE, content_type="image/svg+xml", status=410)
            response["Cache-Control"] = "no-store, private"
            return response
        return render(
            request,
            "evidence/file_missing.html",
            {"case": evidence.case, "evidence": evidence, "message": vault.MISSING_MESSAGE},
            status=410,
        )
    if action is not None:
        services.evidence_access_record(evidence=evidence, user=request.user, action=action)
    content_type = evidence.content_type if field_name == "file" else "image/jpeg"
    extension = stored.name.removesuffix(".sealed").rsplit(".", 1)[-1]
    # Neutral, like the bundle's: no case reference, nothing that says what it shows.
    filename = f"image-{evidence.created_at:%Y-%m-%d}-{str(evidence.pk)[:8]}.{extension}"
    response = HttpResponse(plaintext, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(
        disposition == "attachment", filename
    )
    response["Cache-Control"] = "no-store, private"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- reference images (hash-only by default) ---------------------------------------------


@login_required
@sent_once
def references(request, reference):
    """Her reference images: the hashes kept, and a form to add one. Like every upload, the
    image is read in memory only (evidence.upload_handlers): a hash-only image never
    touches the disk."""
    case = case_for_user(request.user, reference)
    form = ReferenceForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.reference_register(
                case=case,
                data=form.cleaned_data["image"].read(),
                label=form.cleaned_data["label"],
                keep_copy=form.cleaned_data["keep_copy"],
                acting_user=request.user,
            )
        except ValidationError as error:
            add_validation_errors(form, error)
        else:
            messages.success(
                request, gettext("The image is hashed. Only its fingerprints are kept.")
            )
            return redirect("evidence:references", reference=case.reference)
    return _references_page(request, case, form, ReferenceFingerprintsForm())


@login_required
@post_only("evidence:references")
def reference_fingerprints(request, reference):
    """An image to find, from the fingerprints her device computed (the page's script,
    static/leakcase/hashing/): only these values arrive, never the picture."""
    case = case_for_user(request.user, reference)
    form = ReferenceFingerprintsForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.reference_register_fingerprints(
                case=case,
                fingerprints=services.Fingerprints(
                    phash=data["phash"],
                    dhash=data["dhash"],
                    md5=data["md5"],
                    sha256=data["sha256"],
                    pdq=data["pdq"],
                    pdq_quality=data["pdq_quality"],
                ),
                label=data["label"],
                acting_user=request.user,
            )
        except ValidationError as error:
            # Hidden fields: the messages go at the top, not under fields she cannot see.
            form.add_error(None, error.messages)
        else:
            messages.success(
                request, gettext("The fingerprints are saved. The picture stayed on your device.")
            )
            return redirect("evidence:references", reference=case.reference)
    else:
        form.add_error(None, gettext("The fingerprints sent were not readable. Please try again."))
    return _references_page(request, case, ReferenceForm(), form)


def _references_page(request, case, form, fingerprints_form):
    return render(
        request,
        "evidence/references.html",
        {
            "case": case,
            "form": form,
            "fingerprints_form": fingerprints_form,
            "max_pixels": MAX_PIXELS,
            "max_bytes": settings.EVIDENCE_MAX_UPLOAD_BYTES,
            "references": list(case.references.all()),
        },
        status=400 if form.errors or fingerprints_form.errors else 200,
    )


@login_required
@post_only("evidence:references")
def reference_delete(request, reference, reference_id):
    ref = reference_for_user(request.user, reference, reference_id)
    services.reference_delete(reference=ref, acting_user=request.user)
    messages.success(request, gettext("The reference and everything kept of it are deleted."))
    return redirect("evidence:references", reference=reference)


@login_required
@post_only("evidence:detail", back_kwargs=("reference", "evidence_id"))
def match_confirm(request, reference, evidence_id, match_id):
    match = match_for_user(request.user, reference, evidence_id, match_id)
    services.evidence_match_confirm(match=match, acting_user=request.user)
    messages.success(request, gettext("Confirmed as a copy of the reference image."))
    return redirect("evidence:detail", reference=reference, evidence_id=match.evidence_id)


@login_required
@post_only("evidence:detail", back_kwargs=("reference", "evidence_id"))
def evidence_crop(request, reference, evidence_id):
    evidence = evidence_for_user(request.user, reference, evidence_id)
    form = CropForm(request.POST)
    if form.is_valid():
        box = tuple(form.cleaned_data[k] for k in ("left", "top", "right", "bottom"))
        try:
            found = services.evidence_match_crop(
                evidence=evidence, box=box, acting_user=request.user
            )
        except ValidationError as error:
            add_validation_errors(form, error)
        else:
            if found:
                messages.success(
                    request,
                    ngettext(
                        "Found in that area: %(count)s possible copy.",
                        "Found in that area: %(count)s possible copies.",
                        len(found),
                    )
                    % {"count": len(found)},
                )
            else:
                messages.info(request, gettext("No image to find was recognised in that area."))
            return redirect("evidence:detail", reference=reference, evidence_id=evidence.pk)
    messages.error(request, gettext("Nothing was changed. The form below says what needs fixing."))
    return _evidence_page(request, evidence, form, status=400)


@staff_required
@post_only("cases:detail")
def hash_export(request, reference):
    """The case's hashes in the hash-exchange format (evidence.hash_exchange), as a file to
    hand to a platform or a programme. Without her consent, or with nothing to put in it,
    back to the case page with the reason, nothing recorded."""
    case = case_for_user(request.user, reference)
    try:
        export = hash_exchange.hashes_export(case=case, acting_user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(reverse("cases:detail", args=[case.reference]) + "#programmes")
    # Neutral, like the evidence bundle's: no case reference in a file that travels.
    filename = f"hashes-{timezone.localdate():%Y-%m-%d}.txt"
    response = HttpResponse(export.text, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "no-store, private"
    response["X-Content-Type-Options"] = "nosniff"
    return response

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from cases import selectors, services
from cases.forms import CaseOpenForm
from evidence.forms import EvidenceUploadForm, PasteSightingsForm, SightingForm
from evidence.selectors import case_evidence, case_sightings


def home(request):
    if request.user.is_authenticated:
        return redirect("cases:list")
    return render(request, "home.html")


@login_required
def case_list(request):
    cases = selectors.cases_for_dashboard(request.user)
    return render(request, "cases/case_list.html", {"cases": cases})


@login_required
@require_http_methods(["GET", "POST"])
def case_open(request):
    if not request.user.is_survivor:
        raise PermissionDenied("Staff open cases for callers from the caseload.")
    form = CaseOpenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        case = services.case_open(
            survivor=request.user,
            pseudonym=form.cleaned_data["pseudonym"],
            acting_user=request.user,
        )
        messages.success(request, f"Case {case.reference} is open. Add the links you have seen.")
        return redirect("cases:detail", reference=case.reference)
    return render(
        request, "cases/case_open.html", {"form": form}, status=400 if form.errors else 200
    )


@login_required
def case_detail(request, reference):
    case = selectors.case_for_user(request.user, reference)
    return render_case_page(request, case)


def render_case_page(request, case, *, status=200, **forms_and_results):
    """The case page, with any bound forms or results a POST view hands back."""
    sightings = list(case_sightings(case))
    context = {
        "case": case,
        "sightings": sightings,
        "evidence_files": list(case_evidence(case)),
        "timeline": selectors.case_timeline(case),
        "sighting_form": SightingForm(),
        "paste_form": PasteSightingsForm(),
        "upload_form": EvidenceUploadForm(sightings=sightings),
        **forms_and_results,
    }
    return render(request, "cases/case_detail.html", context, status=status)

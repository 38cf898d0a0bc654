"""HTTP of the money loop's first half: the public offer and signup, the API, the leads console."""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from cohorts.referrals import REFERRAL_CHANNEL
from crm import selectors, services
from crm.attribution import attribution_capture, attribution_from_request
from crm.csvio import CsvError, csv_export_lines
from crm.forms import (
    ATTRIBUTION_LIMITS,
    REFERRAL_CODE_LENGTH,
    ChannelEditForm,
    ChannelForm,
    ConsultationForm,
    ConsultationUpdateForm,
    ContentPieceForm,
    LeadFilterForm,
    LeadFollowUpForm,
    LeadForm,
    LeadImportForm,
    LeadImportRowForm,
    LeadNoteForm,
    LeadStatusForm,
    LinkBuilderForm,
    PieceLinkForm,
)
from crm.links import link_pages, link_qr_png
from crm.models import (
    Channel,
    Consultation,
    ContentPiece,
    LeadImport,
    LeadTouch,
    SignupSettings,
    TrackedLink,
)
from crm.signup import lead_submit
from onepco.access import public, staff_required
from onepco.api import ApiError, api_view, field_errors, form_errors, read_payload, refuse_unknown
from onepco.images import image_file_response

LEADS_PER_PAGE = 50


@public
def privacy(request: HttpRequest) -> HttpResponse:
    attribution_capture(request)
    return render(request, "crm/privacy.html")


@public
def thanks(request: HttpRequest) -> HttpResponse:
    return render(request, "crm/thanks.html", {"signup": SignupSettings.current()})


@public
def wechat_qr(request: HttpRequest) -> HttpResponseBase:
    """The founder's WeChat QR code, published on purpose (uploads are otherwise not served)."""
    signup = SignupSettings.current()
    if not signup.wechat_qr:
        raise Http404
    return image_file_response(signup.wechat_qr)


@public
@csrf_exempt
@require_http_methods(["POST"])
@api_view
def lead_api(request: HttpRequest) -> HttpResponse:
    """POST /api/leads — the contract is in docs/api.md and onepco/openapi.py."""
    data, _files, unknown = read_payload(request, LeadForm.api_fields)
    form = LeadForm(data)
    refuse_unknown(unknown, form)
    kept = attribution_from_request(request)
    given = {field: (data.get(field) or "")[:limit] for field, limit in ATTRIBUTION_LIMITS.items()}
    # A referral code is a referral, as on a link (crm/attribution.py); lead_capture finds its student.
    given["referral_code"] = (data.get("ref") or "").strip().lower()[:REFERRAL_CODE_LENGTH]
    if given["referral_code"] and not given["channel"]:
        given["channel"] = REFERRAL_CHANNEL
    status, touch = lead_submit(
        request, form, kind=LeadTouch.Kind.API, attribution=given if any(given.values()) else kept
    )
    if touch is None:
        if status == 429:
            raise ApiError(429, {"detail": _("Too many signups from this address. Try again in a minute.")})
        raise field_errors(form_errors(form))
    return JsonResponse({"id": str(touch.public_id), "status": "received"}, status=201)


# --- the console ---------------------------------------------------------------------------


def _filters(
    request: HttpRequest, channels: list[tuple[str, str]] | None = None
) -> tuple[LeadFilterForm, dict, str]:
    form = LeadFilterForm(request.GET or None, channels=channels)
    filters = form.filters() if request.GET else {}
    query = urlencode([(k, v) for k, v in request.GET.items() if k != "page" and v])
    return form, filters, query


@staff_required
def lead_list(request: HttpRequest) -> HttpResponse:
    form, filters, query = _filters(request, selectors.channel_choices())
    page = Paginator(selectors.lead_search(filters), LEADS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "filter_form": form,
        "page_obj": page,
        "leads": page.object_list,
        "pipeline": selectors.lead_pipeline(),
        "status_filter": filters.get("status", ""),
        "query_string": query,
        "today": timezone.localdate(),
    }
    return render(request, "crm/lead_list.html", context)


@staff_required
def lead_export(request: HttpRequest) -> HttpResponseBase:
    """The filtered list as CSV (UTF-8 with BOM, so Excel shows the Chinese correctly)."""
    _form, filters, _query = _filters(request)
    leads = selectors.lead_search(filters).iterator(chunk_size=500)
    names = selectors.channel_names()
    lines = csv_export_lines(leads, channel_name=lambda lead: selectors.channel_label(lead.channel, names))
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    name = f"leads-{timezone.localdate():%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@staff_required
def lead_detail(
    request: HttpRequest,
    pk: int,
    status_form: LeadStatusForm | None = None,
    follow_up_form: LeadFollowUpForm | None = None,
) -> HttpResponse:
    """The lead's page; with a refused status change or follow-up date, that form with its
    errors (400)."""
    lead = selectors.lead_for_user(request.user, pk)
    refused = status_form or follow_up_form
    context = {
        "lead": lead,
        "timeline": selectors.lead_timeline(lead),
        "consultations": [c for c in lead.consultations.all() if c.status == Consultation.Status.SCHEDULED],
        "status_form": status_form
        or LeadStatusForm(initial={"status": lead.status, "reason": lead.lost_reason}),
        "follow_up_form": follow_up_form
        or LeadFollowUpForm(initial={"follow_up_on": lead.next_follow_up_on}),
        "follow_up_picks": LeadFollowUpForm.quick_dates(timezone.localdate()),
        "today": timezone.localdate(),
        "note_form": LeadNoteForm(),
        "consultation_form": ConsultationForm(),
        "update_form": ConsultationUpdateForm(),
    }
    return render(request, "crm/lead_detail.html", context, status=400 if refused else 200)


def _back_with_errors(request: HttpRequest, lead, form) -> HttpResponse:
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        for error in errors:
            messages.error(request, f"{label}: {error}" if label else error)
    return redirect("crm:lead_detail", pk=lead.pk)


@staff_required
@require_POST
def lead_status(request: HttpRequest, pk: int) -> HttpResponse:
    lead = selectors.lead_for_user(request.user, pk)
    form = LeadStatusForm(request.POST)
    if not form.is_valid():
        # The page again, the error beside its field and the status chosen still chosen.
        return lead_detail(request, lead.pk, status_form=form)
    services.lead_set_status(
        lead=lead,
        status=form.cleaned_data["status"],
        reason=form.cleaned_data["reason"].strip(),
        by=request.user,
    )
    messages.success(request, _("Status changed to %(status)s.") % {"status": lead.get_status_display()})
    return redirect("crm:lead_detail", pk=lead.pk)


def _back(request: HttpRequest, lead) -> HttpResponse:
    """To the page the form was on when it says so (the console home), else the lead's page."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("crm:lead_detail", pk=lead.pk)


@staff_required
@require_POST
def lead_follow_up(request: HttpRequest, pk: int) -> HttpResponse:
    lead = selectors.lead_for_user(request.user, pk)
    form = LeadFollowUpForm(request.POST)
    if not form.is_valid():
        # The page again, the error beside the date.
        return lead_detail(request, lead.pk, follow_up_form=form)
    on = form.cleaned_data["follow_up_on"]
    services.lead_set_follow_up(lead=lead, on=on)
    if on is None:
        messages.success(request, _("Follow-up cleared."))
    else:
        messages.success(
            request, _("Next follow-up: %(day)s.") % {"day": date_format(on, "MONTH_DAY_FORMAT")}
        )
    return _back(request, lead)


@staff_required
@require_POST
def lead_note(request: HttpRequest, pk: int) -> HttpResponse:
    lead = selectors.lead_for_user(request.user, pk)
    form = LeadNoteForm(request.POST)
    if not form.is_valid():
        return _back_with_errors(request, lead, form)
    services.lead_note_add(lead=lead, body=form.cleaned_data["body"], by=request.user)
    messages.success(request, _("Note added."))
    return redirect("crm:lead_detail", pk=lead.pk)


@staff_required
@require_POST
def consultation_create(request: HttpRequest, pk: int) -> HttpResponse:
    lead = selectors.lead_for_user(request.user, pk)
    form = ConsultationForm(request.POST)
    if not form.is_valid():
        return _back_with_errors(request, lead, form)
    services.consultation_schedule(lead=lead, by=request.user, **form.cleaned_data)
    messages.success(request, _("Consultation scheduled."))
    return redirect("crm:lead_detail", pk=lead.pk)


@staff_required
@require_POST
def consultation_update(request: HttpRequest, pk: int, consultation_pk: int) -> HttpResponse:
    lead = selectors.lead_for_user(request.user, pk)
    consultation = get_object_or_404(Consultation, pk=consultation_pk, lead=lead)
    form = ConsultationUpdateForm(request.POST)
    if not form.is_valid():
        return _back_with_errors(request, lead, form)
    services.consultation_set_status(
        consultation=consultation,
        status=form.cleaned_data["status"],
        notes=form.cleaned_data["notes"],
        by=request.user,
    )
    messages.success(
        request,
        _("%(kind)s with %(name)s: %(status)s.")
        % {
            "kind": consultation.get_kind_display(),
            "name": lead.name,
            "status": consultation.get_status_display(),
        },
    )
    return _back(request, lead)


@staff_required
@require_http_methods(["GET", "POST"])
def link_builder(request: HttpRequest) -> HttpResponse:
    """Make a tagged link for a page, a channel of the registry and a piece of content. Every
    link is kept (the same one made twice is one link) and listed with its leads and deals."""
    channels = list(Channel.objects.filter(is_hidden=False))
    initial = {}
    wanted = request.GET.get("piece", "")
    if wanted.isdigit() and (piece := ContentPiece.objects.filter(pk=wanted).first()):
        initial = {"piece": piece.pk, "channel": piece.channel, "campaign": piece.campaign}
    form = LinkBuilderForm(request.POST or None, pages=link_pages(), channels=channels, initial=initial)
    if request.method == "POST" and form.is_valid():
        link = services.tracked_link_make(**form.cleaned_data)
        return redirect(f"{reverse('crm:link_builder')}?link={link.pk}")
    made = request.GET.get("link", "")
    shown = TrackedLink.objects.filter(pk=made).first() if made.isdigit() else None
    context = {"form": form, "link": shown, "has_channels": bool(channels)}
    return render(request, "crm/link_builder.html", context, status=400 if form.errors else 200)


@staff_required
def link_qr(request: HttpRequest, pk: int) -> HttpResponse:
    """The link's QR code, a printable PNG; `?download=1` saves it as a file."""
    link = get_object_or_404(TrackedLink, pk=pk)
    response = HttpResponse(link_qr_png(link), content_type="image/png")
    if request.GET.get("download"):
        response["Content-Disposition"] = f'attachment; filename="qr-{link.channel}-{link.pk}.png"'
    response["Cache-Control"] = "private, max-age=3600"
    return response


@staff_required
@require_http_methods(["GET", "POST"])
def channel_list(request: HttpRequest) -> HttpResponse:
    """The channel registry: every channel's names, how many leads it has, the codes in use
    that nobody named yet, and a form to add one."""
    form = ChannelForm(request.POST or None, initial={"code": request.GET.get("code", "")[:50]})
    if request.method == "POST" and form.is_valid():
        channel = services.channel_save(channel=form.instance)
        messages.success(request, _("Channel %(name)s added.") % {"name": channel.label()})
        return redirect("crm:channel_list")
    channels, unknown = selectors.channels_overview()
    rows = [(channel, ChannelEditForm(instance=channel, prefix=f"c{channel.pk}")) for channel in channels]
    return render(
        request,
        "crm/channels.html",
        {"form": form, "rows": rows, "unknown": unknown},
        status=400 if form.errors else 200,
    )


@staff_required
@require_POST
def channel_update(request: HttpRequest, pk: int) -> HttpResponse:
    channel = get_object_or_404(Channel, pk=pk)
    form = ChannelEditForm(request.POST, instance=channel, prefix=f"c{channel.pk}")
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect("crm:channel_list")
    services.channel_save(channel=form.instance)
    messages.success(request, _("Channel %(name)s saved.") % {"name": channel.label()})
    return redirect("crm:channel_list")


@staff_required
@require_http_methods(["GET", "POST"])
def lead_import(request: HttpRequest) -> HttpResponse:
    """Upload a CSV; it is checked and shown before anything is imported."""
    form = LeadImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            lead_import = services.lead_import_create(upload=form.cleaned_data["file"], by=request.user)
        except CsvError as exc:
            form.add_error("file", str(exc))
        else:
            return redirect("crm:lead_import_detail", pk=lead_import.pk)
    imports = LeadImport.objects.select_related("created_by")[:10]
    return render(
        request,
        "crm/lead_import.html",
        {"form": form, "imports": imports},
        status=400 if form.errors else 200,
    )


@staff_required
@require_http_methods(["GET", "POST"])
def lead_import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Preview with row errors → confirm → progress (polled by htmx while it runs)."""
    lead_import = get_object_or_404(LeadImport, pk=pk)
    if request.method == "POST":
        services.lead_import_confirm(lead_import=lead_import)
        return redirect("crm:lead_import_detail", pk=lead_import.pk)
    if request.headers.get("HX-Request"):
        return render(request, "crm/_import_progress.html", {"lead_import": lead_import})
    preview = (
        services.lead_import_preview(lead_import) if lead_import.status == LeadImport.Status.PREVIEW else []
    )
    context = {"lead_import": lead_import, "preview": preview, "row_errors": _import_errors(lead_import)}
    return render(request, "crm/lead_import_detail.html", context)


def _import_errors(lead_import: LeadImport, limit: int = 200) -> list[dict]:
    """Row errors with the fields' names as the founder reads them."""
    labels = {name: field.label for name, field in LeadImportRowForm().fields.items()}
    labels["created_at"] = _("Date")
    return [
        {"row": item["row"], "problems": [(labels.get(k) or k, msgs) for k, msgs in item["errors"].items()]}
        for item in lead_import.row_errors[:limit]
    ]


# --- content pieces (the list with its figures is the dashboard's: it reads billing) --------


def _pieces_url() -> str:
    return reverse("dashboard:pieces")


def _piece_page(
    request: HttpRequest, piece: ContentPiece | None, form: ContentPieceForm, **extra
) -> HttpResponse:
    context = {"piece": piece, "form": form, **extra}
    if piece is not None:
        context["links"] = list(piece.links.order_by("-created_at", "-id"))
        context.setdefault("link_form", PieceLinkForm(piece=piece))
    bad = form.errors or ("link_form" in extra and extra["link_form"].errors)
    return render(request, "crm/piece_form.html", context, status=400 if bad else 200)


def _piece_save(request: HttpRequest, form: ContentPieceForm, piece: ContentPiece | None) -> HttpResponse:
    if form.is_valid():
        try:
            saved = services.content_piece_save(piece=form.save(commit=False))
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Piece “%(title)s” saved.") % {"title": saved.title})
            return redirect(_pieces_url())
    return _piece_page(request, piece, form)


@staff_required
@require_http_methods(["GET", "POST"])
def piece_new(request: HttpRequest) -> HttpResponse:
    channels = list(Channel.objects.filter(is_hidden=False))
    initial = {"published_on": timezone.localdate()}
    form = ContentPieceForm(request.POST or None, channels=channels, initial=initial)
    if request.method == "POST":
        return _piece_save(request, form, None)
    return _piece_page(request, None, form)


@staff_required
@require_http_methods(["GET", "POST"])
def piece_edit(request: HttpRequest, pk: int) -> HttpResponse:
    piece = get_object_or_404(ContentPiece, pk=pk)
    channels = list(Channel.objects.filter(is_hidden=False))
    form = ContentPieceForm(request.POST or None, instance=piece, channels=channels)
    if request.method == "POST":
        return _piece_save(request, form, piece)
    return _piece_page(request, piece, form)


@staff_required
@require_POST
def piece_delete(request: HttpRequest, pk: int) -> HttpResponse:
    piece = get_object_or_404(ContentPiece, pk=pk)
    services.content_piece_delete(piece=piece)
    messages.success(
        request, _("Piece “%(title)s” deleted; its links and leads are kept.") % {"title": piece.title}
    )
    return redirect(_pieces_url())


@staff_required
@require_POST
def piece_link_attach(request: HttpRequest, pk: int) -> HttpResponse:
    piece = get_object_or_404(ContentPiece, pk=pk)
    link_form = PieceLinkForm(request.POST, piece=piece)
    if not link_form.is_valid():
        channels = list(Channel.objects.filter(is_hidden=False))
        return _piece_page(
            request, piece, ContentPieceForm(instance=piece, channels=channels), link_form=link_form
        )
    services.tracked_link_attach(link=link_form.cleaned_data["link"], piece=piece)
    messages.success(request, _("Link attached."))
    return redirect("crm:piece_edit", pk=piece.pk)


@staff_required
@require_POST
def piece_link_detach(request: HttpRequest, pk: int, link_pk: int) -> HttpResponse:
    piece = get_object_or_404(ContentPiece, pk=pk)
    link = get_object_or_404(TrackedLink, pk=link_pk, piece=piece)
    services.tracked_link_attach(link=link, piece=None)
    messages.success(request, _("Link detached; its leads stay where they are."))
    return redirect("crm:piece_edit", pk=piece.pk)

"""The founder's console home, the system page and personal-data requests (the founder's
page, a signed-in person's download, and the download asked for by e-mail)."""

from typing import IO

from django.conf import settings
from django.contrib import messages
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.requests import AuthenticatedRequest
from billing.forms import PayeeAccountForm
from billing.models import PayeeAccount, PaymentTrial
from billing.providers import providers_setup
from billing.services import payee_account_save, payment_trial_options
from cohorts.models import Student
from console.backups import backup_drill_request, backup_open, backup_request, offsite_storage
from console.erasure import person_erase, person_for
from console.forms import (
    BackupScheduleForm,
    BrandForm,
    DataAccessCodeForm,
    DataAccessRequestForm,
    ErasureForm,
    PoliciesForm,
    TestEmailForm,
)
from console.health import run_checks, worst
from console.models import Backup, BackupSchedule, DataAccessRequest, DataExport, ErasureRecord
from console.personal import personal_data_archive
from console.selectors import erasure_candidates, failed_jobs
from console.services import (
    CodeCheck,
    data_access_download,
    data_access_request_closed,
    data_access_request_create,
    data_export_request,
    failed_job_retry,
)
from console.setup import STEPS, email_backend_summary, setup_steps, setup_test_email_send
from console.today import today_overview
from crm.forms import SignupSettingsForm
from crm.models import Lead, SignupSettings
from crm.services import signup_settings_save
from onepco.access import login_required, public, staff_required
from onepco.images import image_file_response
from onepco.network import client_ip
from onepco.ratelimit import rate_limited
from onepco.site import site_settings, site_settings_fresh, site_settings_save, site_url_check


@staff_required
def console_home(request: HttpRequest) -> HttpResponse:
    """今天: what is waiting for the founder, each line one tap from being done; on a fresh
    install, the setup steps not done yet first."""
    steps = setup_steps()
    context = {**today_overview(), "setup_steps": steps, "setup_left": sum(not s.done for s in steps)}
    return render(request, "console/home.html", context)


@staff_required
def system(request: HttpRequest) -> HttpResponse:
    """The founder's engine room: health checks, failed jobs to retry, data exports."""
    checks = run_checks()
    return render(
        request,
        "console/system.html",
        {
            "checks": checks,
            "verdict": worst(checks),
            "failed_jobs": failed_jobs(limit=50),
            "exports": DataExport.objects.select_related("requested_by")[:10],
        },
    )


@staff_required
@require_POST
def system_retry_job(request: HttpRequest, job_id: str) -> HttpResponse:
    if failed_job_retry(job_id=job_id):
        messages.success(request, _("The job is back in the queue."))
    else:
        messages.error(request, _("That job is no longer in the failed list."))
    return redirect("system")


@staff_required
@require_POST
def system_export_request(request: HttpRequest) -> HttpResponse:
    data_export_request(user=request.user)
    messages.success(
        request,
        _("The archive is being built. You will get an e-mail with the download link when it is ready."),
    )
    return redirect("system")


@staff_required
def system_export_download(request: HttpRequest, token: str) -> FileResponse:

    export = DataExport.objects.filter(token=token).first()
    if export is None or not export.is_ready:
        raise Http404
    name = export.file_name.rsplit("/", 1)[-1]
    return FileResponse(default_storage.open(export.file_name, "rb"), as_attachment=True, filename=name)


@staff_required
def data_requests(request: HttpRequest) -> HttpResponse:
    """Personal-data requests: find the person, erase them; the logs of past erasures and of
    downloads asked for by e-mail."""
    query = request.GET.get("q", "")[:100]
    return render(
        request,
        "console/data_requests.html",
        {
            "q": query,
            "found": erasure_candidates(query) if query else None,
            "records": ErasureRecord.objects.select_related("erased_by")[:50],
            "access_requests": DataAccessRequest.objects.all()[:50],
        },
    )


@staff_required
def data_request_erase(request: AuthenticatedRequest, kind: str, pk: int) -> HttpResponse:
    """Confirm and carry out the erasure of one lead or student (and what is linked to them)."""
    if kind == "lead":
        person = person_for(lead=get_object_or_404(Lead, pk=pk))
    elif kind == "student":
        person = person_for(student=get_object_or_404(Student.objects.select_related("lead"), pk=pk))
    else:
        raise Http404
    if any(user.is_staff for user in person.users):
        raise Http404
    form = ErasureForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        person_erase(person=person, erased_by=request.user, reason=form.cleaned_data["reason"])
        messages.success(request, _("Erased. The numbers and past snapshots are unchanged."))
        return redirect("data_requests")
    return render(request, "console/data_request_erase.html", {"person": person, "form": form, "kind": kind})


@login_required
def my_data(request: AuthenticatedRequest) -> FileResponse:
    """Everything onepco holds about the signed-in person, as one zip (right of access)."""
    return _my_data_response(personal_data_archive(email=request.user.email, user=request.user))


def _my_data_response(archive: IO[bytes]) -> FileResponse:
    name = f"onepco-my-data-{timezone.localdate():%Y%m%d}.zip"
    return FileResponse(archive, as_attachment=True, filename=name, content_type="application/zip")


@public
@never_cache
def my_data_request(request: HttpRequest) -> HttpResponse:
    """Anyone asks for their data by e-mail address; the answer is the same for every address."""
    template = "console/my_data_request.html"
    form = DataAccessRequestForm(request.POST or None)
    if request.method != "POST":
        return render(request, template, {"form": form})
    if not form.is_valid():
        return render(request, template, {"form": form}, status=400)
    email = form.cleaned_data["email"]
    if _data_access_limited(request, email=email):
        form.add_error(
            None, _("Too many requests from your network or for this address. Please try again later.")
        )
        return render(request, template, {"form": form}, status=429)
    access_request = data_access_request_create(email=email, language=get_language())
    return redirect("my_data_code", token=access_request.token)


def _data_access_limited(request: HttpRequest, *, email: str) -> bool:
    """Counts a request against the visitor's address and the e-mail address (a mailbox is not
    flooded with codes from many networks); True past either limit."""
    return rate_limited(
        ("data-access", client_ip(request), settings.DATA_ACCESS_RATE_LIMIT),
        ("data-access-email", email, settings.DATA_ACCESS_EMAIL_RATE_LIMIT),
    )


def _closed_message(outcome: CodeCheck) -> str:
    if outcome == CodeCheck.EXPIRED:
        return _("This code has expired: a code works for %(minutes)s minutes.") % {
            "minutes": DataAccessRequest.CODE_MINUTES
        }
    if outcome == CodeCheck.USED:
        return _("This code has been used already: a code downloads once.")
    return _("Too many wrong codes: this code no longer works.")


def _wrong_code_message(access_request: DataAccessRequest) -> str:
    left = DataAccessRequest.MAX_ATTEMPTS - access_request.attempts
    return ngettext(
        "This code is not right. You can try %(n)s more time.",
        "This code is not right. You can try %(n)s more times.",
        left,
    ) % {"n": left}


@public
@never_cache
def my_data_code(request: HttpRequest, token: str) -> HttpResponseBase:
    """The code e-mailed for a request downloads the zip of everything held for its address."""
    access_request = get_object_or_404(DataAccessRequest, token=token)
    form = DataAccessCodeForm(request.POST or None)
    outcome = data_access_request_closed(access_request)
    if request.method == "POST" and outcome is None and form.is_valid():
        outcome, archive = data_access_download(access_request=access_request, code=form.cleaned_data["code"])
        if archive is not None:
            return _my_data_response(archive)
        if outcome == CodeCheck.WRONG:
            form.add_error("code", _wrong_code_message(access_request))
            outcome = None
    template = "console/my_data_code.html"
    if outcome is not None:
        context = {"access_request": access_request, "closed": _closed_message(outcome)}
        return render(request, template, context, status=410)
    context = {"access_request": access_request, "form": form}
    return render(request, template, context, status=400 if form.errors else 200)


# --- backups ---------------------------------------------------------------------------------


@staff_required
def backups_page(request: HttpRequest) -> HttpResponse:
    """The backups: when they run and how many are kept, each one with its restore drill."""
    schedule = BackupSchedule.current()
    form = BackupScheduleForm(request.POST or None, instance=schedule)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(
            request, _("Saved. The next backup runs at %(at)s.") % {"at": f"{schedule.at:%H:%M}"}
        )
        return redirect("backups")
    offsite = offsite_storage()
    context = {
        "form": form,
        "backups": Backup.objects.all()[:60],
        "backup_dir": settings.BACKUP_DIR,
        "offsite": getattr(offsite, "bucket_name", "") if offsite is not None else "",
    }
    return render(request, "console/backups.html", context, status=400 if form.errors else 200)


@staff_required
@require_POST
def backup_now(request: AuthenticatedRequest) -> HttpResponse:
    backup_request(by=request.user)
    messages.success(request, _("The backup is being made. It appears below when it is done."))
    return redirect("backups")


@staff_required
def backup_download(request: HttpRequest, pk: int) -> FileResponse:
    backup = get_object_or_404(Backup, pk=pk, status=Backup.Status.DONE)
    try:
        handle = backup_open(backup)
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(handle, as_attachment=True, filename=backup.name.rsplit("/", 1)[-1])


@staff_required
@require_POST
def backup_drill_start(request: HttpRequest, pk: int) -> HttpResponse:
    backup = get_object_or_404(Backup, pk=pk, status=Backup.Status.DONE)
    backup_drill_request(backup=backup)
    messages.success(
        request,
        _(
            "The restore drill is running: it restores this backup into a scratch database and compares the numbers."
        ),
    )
    return redirect("backups")


# --- first-run setup (设置) -----------------------------------------------------------------


@staff_required
def setup_page(request: HttpRequest) -> HttpResponse:
    """设置: the five setup steps, each with its state, each re-openable."""
    signup = SignupSettings.current()
    context = {
        "steps": setup_steps(signup),
        "site": site_settings(),
        "signup": signup,
        "address": site_url_check(request),
        "methods": providers_setup(),
        "payees": PayeeAccount.objects.all(),
        "email_backend": email_backend_summary(),
    }
    return render(request, "console/setup.html", context)


@staff_required
def setup_step(request: AuthenticatedRequest, step: str) -> HttpResponse:
    """One setup step's short form: GET shows it, POST saves and goes back to 设置."""
    handlers = {
        "brand": _setup_brand,
        "next-step": _setup_next_step,
        "money": _setup_money,
        "email": _setup_email,
        "policies": _setup_policies,
    }
    if step not in handlers:
        raise Http404
    return handlers[step](request)


def _step_render(
    request: HttpRequest, step: str, context: dict, *, status: int | None = None
) -> HttpResponse:
    bad = any(getattr(value, "errors", None) for value in context.values() if hasattr(value, "is_bound"))
    context = {"step": step, "title": STEPS[step], "steps": setup_steps(), **context}
    template = f"console/setup_{step.replace('-', '_')}.html"
    return render(request, template, context, status=status or (400 if bad else 200))


def _setup_brand(request: HttpRequest) -> HttpResponse:
    form = BrandForm(request.POST or None, request.FILES or None, instance=site_settings_fresh())
    if request.method == "POST" and form.is_valid():
        site_settings_save(form.save(commit=False), step="brand")
        messages.success(request, _("Saved. Every page now shows the new name."))
        return redirect("setup")
    return _step_render(request, "brand", {"form": form, "address": site_url_check(request)})


def _setup_next_step(request: HttpRequest) -> HttpResponse:
    form = SignupSettingsForm(request.POST or None, request.FILES or None, instance=SignupSettings.current())
    if request.method == "POST" and form.is_valid():
        signup_settings_save(signup=form.save(commit=False))
        messages.success(
            request, _("Saved. The signup form is live and the thank-you page shows the next step.")
        )
        return redirect("setup")
    return _step_render(request, "next-step", {"form": form})


def _setup_money(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        raise Http404
    trials = payment_trial_options()
    context = {
        "methods": [(method, trials.get(method.name)) for method in providers_setup()],
        "recent_trials": PaymentTrial.objects.all()[:5],
        "payees": PayeeAccount.objects.all(),
        "debug": settings.DEBUG,
    }
    return _step_render(request, "money", context)


def _setup_email(request: AuthenticatedRequest) -> HttpResponse:
    form = TestEmailForm(request.POST or None, initial={"to": request.user.email})
    error = ""
    if request.method == "POST" and form.is_valid():
        error = setup_test_email_send(to=form.cleaned_data["to"])
        if not error:
            messages.success(
                request,
                _("The test message went to %(to)s. Check that it arrived.")
                % {"to": form.cleaned_data["to"]},
            )
            return redirect("setup")
    context = {"form": form, "error": error, "email_backend": email_backend_summary()}
    return _step_render(request, "email", context, status=502 if error else None)


def _setup_policies(request: HttpRequest) -> HttpResponse:
    form = PoliciesForm(request.POST or None, instance=site_settings_fresh())
    if request.method == "POST" and form.is_valid():
        site_settings_save(form.save(commit=False), step="policies")
        messages.success(request, _("Saved. The course pages, checkout and privacy page show the new text."))
        return redirect("setup")
    return _step_render(request, "policies", {"form": form})


@staff_required
def setup_payee(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """A payee account for manual transfers: add one, or edit one (deactivate it by unticking)."""
    account = get_object_or_404(PayeeAccount, pk=pk) if pk is not None else PayeeAccount()
    form = PayeeAccountForm(request.POST or None, request.FILES or None, instance=account)
    if request.method == "POST" and form.is_valid():
        payee_account_save(account=form.save(commit=False))
        messages.success(request, _("Saved the payee account."))
        return redirect("setup_step", step="money")
    return _step_render(request, "money", {"form": form, "account": account, "editing": True})


@public
def site_logo(request: HttpRequest) -> HttpResponseBase:
    """The logo every page shows (uploads are otherwise not served)."""
    row = site_settings()
    if not row.logo:
        raise Http404
    response = image_file_response(row.logo)
    response["Cache-Control"] = "public, max-age=300"
    return response

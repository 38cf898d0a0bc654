from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language

from onepco import openapi, views
from onepco.access import public

admin.site.site_header = "onepco"
admin.site.site_title = "onepco"

urlpatterns = [
    path("", views.home, name="home"),
    path("console/", views.console_home, name="console_home"),
    path("console/system/", views.system, name="system"),
    path("console/system/jobs/<str:job_id>/retry/", views.system_retry_job, name="system_retry_job"),
    path("console/system/exports/", views.system_export_request, name="system_export_request"),
    path("console/system/exports/<str:token>/", views.system_export_download, name="system_export_download"),
    path("console/data-requests/", views.data_requests, name="data_requests"),
    path(
        "console/data-requests/erase/<str:kind>/<int:pk>/",
        views.data_request_erase,
        name="data_request_erase",
    ),
    path("healthz", views.healthz, name="healthz"),
    path("i18n/setlang/", public(set_language), name="set_language"),
    path("api/openapi.json", openapi.openapi_json, name="openapi"),
    # Before the admin: accounts answers /admin/login/ (the admin signs in through allauth).
    path("", include("accounts.urls")),
    path("admin/rq/", include("django_rq.urls")),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("", include("crm.urls")),
    path("", include("billing.urls")),
    path("", include("cohorts.urls")),
    path("", include("dashboard.urls")),
]

handler400 = "onepco.views.bad_request"
handler403 = "onepco.views.permission_denied"
handler404 = "onepco.views.page_not_found"
handler500 = "onepco.views.server_error"

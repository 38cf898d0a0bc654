from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language

from onepco import views
from onepco.access import public

admin.site.site_header = "onepco"
admin.site.site_title = "onepco"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("i18n/setlang/", public(set_language), name="set_language"),
    # Before the admin: accounts answers /admin/login/ (the admin signs in through allauth).
    path("", include("accounts.urls")),
    path("admin/rq/", include("django_rq.urls")),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("", include("crm.urls")),
    path("", include("billing.urls")),
    path("", include("cohorts.urls")),
    path("", include("dashboard.urls")),
    path("", include("console.urls")),
]

handler400 = "onepco.views.bad_request"
handler403 = "onepco.views.permission_denied"
handler404 = "onepco.views.page_not_found"
handler500 = "onepco.views.server_error"

from django.urls import path

from console import openapi, views, views_broadcasts

urlpatterns = [
    path("console/", views.console_home, name="console_home"),
    path("console/settings/", views.setup_page, name="setup"),
    path("console/settings/money/payees/new/", views.setup_payee, name="setup_payee_new"),
    path("console/settings/money/payees/<int:pk>/", views.setup_payee, name="setup_payee"),
    path("console/settings/<str:step>/", views.setup_step, name="setup_step"),
    path("site/logo/", views.site_logo, name="site_logo"),
    path("console/system/", views.system, name="system"),
    path("console/system/jobs/<str:job_id>/retry/", views.system_retry_job, name="system_retry_job"),
    path("console/system/exports/", views.system_export_request, name="system_export_request"),
    path("console/system/exports/<str:token>/", views.system_export_download, name="system_export_download"),
    path("console/system/backups/", views.backups_page, name="backups"),
    path("console/system/backups/now/", views.backup_now, name="backup_now"),
    path("console/system/backups/<int:pk>/download/", views.backup_download, name="backup_download"),
    path("console/system/backups/<int:pk>/drill/", views.backup_drill_start, name="backup_drill"),
    path("console/data-requests/", views.data_requests, name="data_requests"),
    path(
        "console/data-requests/erase/<str:kind>/<int:pk>/",
        views.data_request_erase,
        name="data_request_erase",
    ),
    path("console/broadcasts/", views_broadcasts.broadcast_list, name="broadcast_list"),
    path("console/broadcasts/new/", views_broadcasts.broadcast_new, name="broadcast_new"),
    path("console/broadcasts/preview/", views_broadcasts.broadcast_preview, name="broadcast_preview"),
    path("console/broadcasts/<int:pk>/", views_broadcasts.broadcast_detail, name="broadcast_detail"),
    path("console/broadcasts/<int:pk>/cancel/", views_broadcasts.broadcast_cancel, name="broadcast_cancel"),
    path(
        "news/unsubscribe/<str:token>/", views_broadcasts.broadcast_unsubscribe, name="broadcast_unsubscribe"
    ),
    path("account/my-data.zip", views.my_data, name="my_data"),
    path("privacy/my-data/", views.my_data_request, name="my_data_request"),
    path("privacy/my-data/<str:token>/", views.my_data_code, name="my_data_code"),
    path("api/openapi.json", openapi.openapi_json, name="openapi"),
]

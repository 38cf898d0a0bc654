from django.urls import path

from crm import views

app_name = "crm"

urlpatterns = [
    path("privacy/", views.privacy, name="privacy"),
    path("thanks/", views.thanks, name="thanks"),
    path("thanks/wechat-qr", views.wechat_qr, name="wechat_qr"),
    path("api/leads", views.lead_api, name="lead_api"),
    path("console/leads/", views.lead_list, name="lead_list"),
    path("console/leads/export.csv", views.lead_export, name="lead_export"),
    path("console/leads/links/", views.link_builder, name="link_builder"),
    path("console/leads/links/<int:pk>/qr.png", views.link_qr, name="link_qr"),
    path("console/leads/pieces/new/", views.piece_new, name="piece_new"),
    path("console/leads/pieces/<int:pk>/", views.piece_edit, name="piece_edit"),
    path("console/leads/pieces/<int:pk>/delete/", views.piece_delete, name="piece_delete"),
    path("console/leads/pieces/<int:pk>/links/", views.piece_link_attach, name="piece_link_attach"),
    path(
        "console/leads/pieces/<int:pk>/links/<int:link_pk>/detach/",
        views.piece_link_detach,
        name="piece_link_detach",
    ),
    path("console/leads/channels/", views.channel_list, name="channel_list"),
    path("console/leads/channels/<int:pk>/", views.channel_update, name="channel_update"),
    path("console/leads/import/", views.lead_import, name="lead_import"),
    path("console/leads/import/<int:pk>/", views.lead_import_detail, name="lead_import_detail"),
    path("console/leads/<int:pk>/", views.lead_detail, name="lead_detail"),
    path("console/leads/<int:pk>/status/", views.lead_status, name="lead_status"),
    path("console/leads/<int:pk>/follow-up/", views.lead_follow_up, name="lead_follow_up"),
    path("console/leads/<int:pk>/notes/", views.lead_note, name="lead_note"),
    path("console/leads/<int:pk>/consultations/", views.consultation_create, name="consultation_create"),
    path(
        "console/leads/<int:pk>/consultations/<int:consultation_pk>/",
        views.consultation_update,
        name="consultation_update",
    ),
]

from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("account/", views.account, name="account"),
    path("account/link/<str:token>/", views.login_link, name="login_link"),
    # Ahead of the admin's own URLs (onepco/urls.py includes this module before them).
    path("admin/login/", views.admin_login, name="admin_login"),
]

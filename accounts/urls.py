from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("account/", views.account, name="account"),
    path("account/link/<str:token>/", views.login_link, name="login_link"),
    path("account/wechat/unbind/", views.wechat_unbind, name="wechat_unbind"),
    path("account/messages/", views.message_preferences, name="message_preferences"),
    path("accounts/wechat/finish/", views.wechat_finish, name="wechat_finish"),
    # Ahead of allauth's list of connected accounts (onepco/urls.py includes this module first).
    path("accounts/3rdparty/", views.wechat_connections, name="wechat_connections"),
    # Ahead of the admin's own URLs (onepco/urls.py includes this module before them).
    path("admin/login/", views.admin_login, name="admin_login"),
]

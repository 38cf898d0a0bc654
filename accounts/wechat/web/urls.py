"""The QR login's URLs (allauth imports them under /accounts/)."""

from accounts.wechat.providers import WeChatWebAdapter, urlpatterns_for

urlpatterns = urlpatterns_for("weixin", WeChatWebAdapter)

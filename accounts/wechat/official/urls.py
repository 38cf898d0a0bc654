"""The 公众号 web authorisation's URLs (allauth imports them under /accounts/)."""

from accounts.wechat.providers import WeChatOfficialAdapter, urlpatterns_for

urlpatterns = urlpatterns_for("weixin_mp", WeChatOfficialAdapter)

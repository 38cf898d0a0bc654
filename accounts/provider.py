"""allauth finds the providers of every installed app in its `provider` module: these are ours."""

from accounts.wechat.providers import WeChatOfficialProvider, WeChatWebProvider

provider_classes = [WeChatWebProvider, WeChatOfficialProvider]

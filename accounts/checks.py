from django.core.checks import Error, register

from onepco.ratelimit import rate_settings_errors


@register()
def wechat_code_rate_limits_are_valid(app_configs, **kwargs) -> list[Error]:
    """A typo in the WeChat join code's rates must stop the start, not answer 500 later."""
    return rate_settings_errors(("WECHAT_CODE_RATE_LIMIT", "WECHAT_CODE_EMAIL_RATE_LIMIT"), "accounts.E001")

"""The channels a Chinese course business posts to, named in Chinese and English.

The codes are the ones the link builder and the demo put in links (`?ch=xiaohongshu`); a code
the founder already uses keeps whatever name they gave it. "direct" names the leads that came
without a tagged link (their channel is empty); it is hidden, as no link is made for it.
"""

from django.db import migrations

CHANNELS = [
    # code, Chinese, English, hidden from the link builder
    ("wechat_mp", "微信公众号", "WeChat Official Account", False),
    ("channels", "视频号", "WeChat Channels", False),
    ("xiaohongshu", "小红书", "Xiaohongshu", False),
    ("bilibili", "B站", "Bilibili", False),
    ("douyin", "抖音", "Douyin", False),
    ("zhihu", "知乎", "Zhihu", False),
    ("referral", "朋友推荐", "Referral", False),
    ("direct", "直接访问", "Direct", True),
]


def seed(apps, schema_editor):
    Channel = apps.get_model("crm", "Channel")
    for position, (code, zh, en, hidden) in enumerate(CHANNELS, start=1):
        Channel.objects.get_or_create(
            code=code,
            defaults={"name_zh_hans": zh, "name_en": en, "is_hidden": hidden, "position": position * 10},
        )


class Migration(migrations.Migration):
    dependencies = [("crm", "0004_channel_registry")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]

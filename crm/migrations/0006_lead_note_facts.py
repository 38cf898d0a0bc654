from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('crm', '0005_channel_registry_seed'),
    ]

    operations = [
        migrations.AddField(
            model_name='leadnote',
            name='facts',
            field=models.JSONField(blank=True, default=dict, verbose_name='facts'),
        ),
    ]

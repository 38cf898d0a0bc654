"""The personal-data access requests asked for by e-mail (console.DataAccessRequest)."""

import console.models
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('console', '0001_data_exports_and_erasure_records_move_here'),
    ]

    operations = [
        migrations.CreateModel(
            name='DataAccessRequest',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('token', models.CharField(default=console.models.access_token, max_length=64, unique=True, verbose_name='token')),
                ('email', models.EmailField(db_index=True, max_length=254, verbose_name='e-mail')),
                ('language', models.CharField(blank=True, max_length=10, verbose_name='language')),
                ('created_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now, verbose_name='requested at')),
                ('expires_at', models.DateTimeField(verbose_name='expires at')),
                ('held_data', models.BooleanField(blank=True, null=True, verbose_name='data held')),
                ('code_hash', models.CharField(blank=True, max_length=64, verbose_name='code (hashed)')),
                ('code_sent_at', models.DateTimeField(blank=True, null=True, verbose_name='code sent at')),
                ('attempts', models.PositiveSmallIntegerField(default=0, verbose_name='wrong codes')),
                ('downloaded_at', models.DateTimeField(blank=True, null=True, verbose_name='downloaded at')),
            ],
            options={
                'verbose_name': 'personal-data access request',
                'verbose_name_plural': 'personal-data access requests',
                'ordering': ['-created_at', '-id'],
            },
        ),
    ]

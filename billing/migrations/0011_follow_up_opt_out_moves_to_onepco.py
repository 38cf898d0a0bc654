# The follow-up opt-out list moved to onepco (MarketingOptOut, onepco 0006): its table stays.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('billing', '0010_referral_rewards'),
        ('onepco', '0006_message_preferences_and_deliveries'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[migrations.DeleteModel(name='FollowUpOptOut')]),
    ]

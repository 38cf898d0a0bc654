"""DataExport and ErasureRecord now belong to the console app (see its 0001): forget them here,
keeping their tables."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("onepco", "0003_erasure_records"),
        ("console", "0001_data_exports_and_erasure_records_move_here"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="DataExport"),
                migrations.DeleteModel(name="ErasureRecord"),
            ],
            database_operations=[],
        ),
    ]

"""`channels`: the channel registry as its migration seeds it.

A test database has the seeded rows, until a browser test (transaction=True) flushes the tables:
tests that read the names ask for this fixture instead of counting on the seed being there.
"""

import importlib

import pytest
from django.apps import apps

seed_migration = importlib.import_module("crm.migrations.0005_channel_registry_seed")


@pytest.fixture
def channels(db):
    seed_migration.seed(apps, None)

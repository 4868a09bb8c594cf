"""An index for django-q2's queue table, when django-q2 is installed.

django-q2's database broker polls `django_q_ormq` with `WHERE key = %s AND lock < %s`
(and counts it by the same two columns), and the table has no index but its primary
key: each poll read the whole table, dead rows of delivered tasks included, so a queue
of ten thousand tasks slowed every poll of every worker. With an index on (key, lock)
a poll reads the few rows it takes. Without django-q2 (Celery, or no worker) this
migration does nothing.
"""

from django.apps import apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

INDEX = "modulith_django_q_ormq_key_lock"
QUEUE_TABLE = "django_q_ormq"
DJANGO_Q = apps.is_installed("django_q")


def create_index(state: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if QUEUE_TABLE in schema_editor.connection.introspection.table_names():
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS {INDEX} ON {QUEUE_TABLE} ("key", "lock")'
        )


def drop_index(state: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("modulith_events", "0001_initial")] + (
        [("django_q", "0007_ormq")] if DJANGO_Q else []
    )

    operations = [migrations.RunPython(create_index, drop_index, elidable=False)]

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0002_eventpublication'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='eventpublication',
            name='core_event_publication_due',
        ),
        migrations.AddField(
            model_name='eventpublication',
            name='enqueued_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='eventpublication',
            name='failed_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddIndex(
            model_name='eventpublication',
            index=models.Index(condition=models.Q(('completed_at__isnull', True), ('failed_at__isnull', True)), fields=['next_attempt_at'], name='core_event_publication_due'),
        ),
        migrations.AddIndex(
            model_name='eventpublication',
            index=models.Index(condition=models.Q(('completed_at__isnull', False)), fields=['completed_at'], name='core_event_publication_done'),
        ),
    ]

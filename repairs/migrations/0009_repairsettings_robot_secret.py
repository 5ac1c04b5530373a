from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('repairs', '0008_work_order_follow_token'),
    ]

    operations = [
        migrations.AddField(
            model_name='repairsettings',
            name='robot_secret',
            field=models.CharField(blank=True, max_length=200, verbose_name='group robot signing secret (DingTalk 加签)'),
        ),
    ]

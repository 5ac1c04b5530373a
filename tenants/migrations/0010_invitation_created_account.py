"""Mark the invitation an account was made with (the only case a set-password link may be shown to an admin)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('tenants', '0009_invitation_offer'),
    ]

    operations = [
        migrations.AddField(
            model_name='invitation',
            name='created_account',
            field=models.BooleanField(default=False, verbose_name='created the account'),
        ),
    ]

"""Invitations to join: what they offer (roles, post) and what the inviter typed (name, phone)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('tenants', '0008_user_users_never_deleted'),
    ]

    operations = [
        migrations.AlterField(
            model_name='invitation',
            name='purpose',
            field=models.CharField(choices=[('onboard', 'Invitation'), ('reset', 'Password reset'), ('join', 'Invitation to join')], default='onboard', max_length=12, verbose_name='purpose'),
        ),
        migrations.AddField(
            model_name='invitation',
            name='roles',
            field=models.JSONField(blank=True, default=list, verbose_name='roles'),
        ),
        migrations.AddField(
            model_name='invitation',
            name='post',
            field=models.CharField(blank=True, max_length=50, verbose_name='post'),
        ),
        migrations.AddField(
            model_name='invitation',
            name='invited_name',
            field=models.CharField(blank=True, max_length=50, verbose_name='name as invited'),
        ),
        migrations.AddField(
            model_name='invitation',
            name='invited_phone',
            field=models.CharField(blank=True, max_length=11, verbose_name='phone as invited'),
        ),
    ]

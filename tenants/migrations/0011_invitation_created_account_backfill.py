"""Existing accounts that never signed in and belong to one place only: their first link there made them."""

from django.db import migrations


def forwards(apps, schema_editor):
    User = apps.get_model("tenants", "User")
    Membership = apps.get_model("tenants", "Membership")
    Invitation = apps.get_model("tenants", "Invitation")
    for user in User.objects.filter(last_login__isnull=True, password__startswith="!").iterator():
        places = set(Membership.objects.filter(user=user).values_list("school_id", "bureau_id"))
        if len(places) != 1:
            continue
        school_id, bureau_id = places.pop()
        first = (Invitation.objects.filter(user=user, purpose="onboard", school_id=school_id, bureau_id=bureau_id)
                 .order_by("created_at", "id").first())
        if first is not None:
            Invitation.objects.filter(pk=first.pk).update(created_account=True)


def backwards(apps, schema_editor):
    apps.get_model("tenants", "Invitation").objects.update(created_account=False)


class Migration(migrations.Migration):

    dependencies = [
        ('tenants', '0010_invitation_created_account'),
    ]

    operations = [
        migrations.RunPython(forwards, backwards),
    ]

"""Sign in with a username or a mobile phone number (the usual login in Chinese schools)."""

from django.contrib.auth.backends import ModelBackend
from django.db.models import Q

from .models import User


class PhoneOrUsernameBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        username = username.strip()
        user = User.objects.filter(Q(username__iexact=username) | Q(phone=username)).order_by("id").first()
        if user is None:
            # Spend the same time as a real check so timing does not reveal which logins exist.
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

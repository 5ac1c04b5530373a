"""Sign in with a username or a mobile phone number (the usual login in Chinese schools)."""

from django.contrib.auth.backends import ModelBackend
from django.db.models import Q

from .models import User


def account_for_login(login: str) -> User | None:
    """The account a typed login names: its username (any case) or its mobile phone number."""
    login = (login or "").strip()
    if not login:
        return None
    return User.objects.filter(Q(username__iexact=login) | Q(phone=login)).order_by("id").first()


class PhoneOrUsernameBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        user = account_for_login(username)
        if user is None:
            # Spend the same time as a real check so timing does not reveal which logins exist.
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

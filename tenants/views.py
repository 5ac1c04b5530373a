from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.cache import cache
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_tenants.utils import schema_context

from frontend.lists import paginate

from .access import personal_view
from .forms import LoginForm
from .middleware import request_host
from .notifications import notification_mark_read


def _client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "")


def _lock_key(request, username: str) -> str:
    return f"login-fail:{request_host(request)}:{username.strip().lower()}:{_client_ip(request)}"


class LoginView(auth_views.LoginView):
    """Sign-in with lockout after repeated failures; the session is bound to this host."""

    template_name = "registration/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        username = request.POST.get("username", "")
        with schema_context("public"):
            failures = cache.get(_lock_key(request, username), 0)
        if failures >= settings.LOGIN_FAILURE_LIMIT:
            form = self.get_form()
            form.errors.clear()
            form.add_error(None, _("Too many failed attempts. Try again in %(minutes)s minutes.")
                           % {"minutes": settings.LOGIN_LOCKOUT_SECONDS // 60})
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        key = _lock_key(self.request, self.request.POST.get("username", ""))
        with schema_context("public"):
            if not cache.add(key, 1, timeout=settings.LOGIN_LOCKOUT_SECONDS):
                try:
                    cache.incr(key)
                except ValueError:
                    cache.set(key, 1, timeout=settings.LOGIN_LOCKOUT_SECONDS)
        return super().form_invalid(form)

    def form_valid(self, form):
        response = super().form_valid(form)  # django.contrib.auth.login rotates the session key
        self.request.session["_houqin_host"] = request_host(self.request)
        with schema_context("public"):
            cache.delete(_lock_key(self.request, self.request.POST.get("username", "")))
        return response


class LogoutView(auth_views.LogoutView):
    pass


@personal_view
def notification_list(request):
    """The notification centre: my notifications, newest first."""
    notifications = request.user.notifications.select_related("school")
    if request.GET.get("unread"):
        notifications = notifications.filter(read_at__isnull=True)
    return render(request, "tenants/notifications.html", {"page_obj": paginate(request, notifications)})


@personal_view
@require_POST
def notification_read(request):
    ids = request.POST.getlist("id")
    count = notification_mark_read(user=request.user, notification_ids=[int(i) for i in ids if i.isdigit()] or None)
    messages.success(request, _("%(count)s notifications marked read.") % {"count": count})
    return HttpResponseRedirect(request.POST.get("next") or "/notifications/")

"""Management pages at /partners/ (base domain): clients, tokens, grants, subscriptions, deliveries."""

from __future__ import annotations

from datetime import timedelta
from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from frontend.lists import paginate
from tenants.access import bureaus_for, is_platform_operator
from tenants.models import School

from . import services
from .forms import PartnerClientForm, SubscriptionForm, TokenForm
from .models import ApiToken, WebhookDelivery, WebhookSubscription


def partner_manager_view(view):
    """Base-domain pages for platform operators and bureau members (a bureau sees only its own clients)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if isinstance(getattr(request, "tenant", None), School):
            raise PermissionDenied
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not services.may_manage_partners(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    wrapped.houqin_access = {"kind": "bureau"}
    return wrapped


_ONCE_KEY = "api_show_once"


def _form_errors(form, exc: ValidationError) -> None:
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


@partner_manager_view
def client_list(request):
    clients = services.clients_for(user=request.user).select_related("bureau", "grant_bureau")
    query = request.GET.get("q", "").strip()
    if query:
        clients = clients.filter(Q(name__icontains=query) | Q(kind__icontains=query) | Q(contact__icontains=query))
    page_obj = paginate(request, clients)
    return render(request, "api/client_list.html", {"page_obj": page_obj, "query": query})


@partner_manager_view
def client_create(request):
    form = PartnerClientForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        bureau = data.get("bureau")
        if not is_platform_operator(request.user):
            bureau = bureaus_for(request.user).order_by("name").first()
        try:
            client = services.partner_client_create(
                actor=request.user, name=data["name"], kind=data["kind"], contact=data["contact"], bureau=bureau,
                scopes=data["scopes"], grant_bureau=data["grant_bureau"], schools=data["schools"],
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Partner client registered. Issue a token for it below."))
            return redirect("api:client_detail", client.pk)
    return render(request, "api/client_form.html", {"form": form, "client": None})


@partner_manager_view
def client_edit(request, client_id: int):
    client = services.client_get_for(user=request.user, client_id=client_id)
    initial = {"name": client.name, "kind": client.kind, "contact": client.contact, "scopes": client.scopes,
               "grant_bureau": client.grant_bureau, "schools": list(client.schools.all()), "is_active": client.is_active}
    form = PartnerClientForm(request.POST or None, user=request.user, client=client, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.partner_client_update(
                actor=request.user, client=client, name=data["name"], kind=data["kind"], contact=data["contact"],
                scopes=data["scopes"], grant_bureau=data["grant_bureau"], schools=data["schools"],
                is_active=data["is_active"],
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("api:client_detail", client.pk)
    return render(request, "api/client_form.html", {"form": form, "client": client})


def _detail_context(request, client, **extra):
    deliveries = WebhookDelivery.objects.filter(subscription__client=client).select_related("school", "subscription")
    status = request.GET.get("status", "")
    if status:
        deliveries = deliveries.filter(status=status)
    return {
        "client": client,
        "schools": client.schools.order_by("name"),
        "tokens": client.tokens.all(),
        "subscriptions": client.subscriptions.all(),
        "page_obj": paginate(request, deliveries, per_page=20),
        "status": status,
        "token_form": TokenForm(),
        "subscription_form": SubscriptionForm(),
        **extra,
    }


@partner_manager_view
def client_detail(request, client_id: int):
    client = services.client_get_for(user=request.user, client_id=client_id)
    # A token or secret just issued is shown once: popped from the session on this one page view.
    once = request.session.pop(_ONCE_KEY, None)
    extra = {}
    if once and once.get("client") == client.pk:
        extra = {once["kind"]: once["value"]}
    response = render(request, "api/client_detail.html", _detail_context(request, client, **extra))
    if extra:
        response["Cache-Control"] = "no-store"
    return response


def _show_once(request, client, kind: str, value: str):
    """Redirect to the client's page, which shows `value` once (a reload does not issue another)."""
    request.session[_ONCE_KEY] = {"client": client.pk, "kind": kind, "value": value}
    return redirect("api:client_detail", client.pk)


@partner_manager_view
@require_POST
def token_create(request, client_id: int):
    client = services.client_get_for(user=request.user, client_id=client_id)
    form = TokenForm(request.POST)
    if not form.is_valid():
        return render(request, "api/client_detail.html", _detail_context(request, client, token_form=form), status=400)
    days = form.cleaned_data["expires_in_days"]
    expires_at = timezone.now() + timedelta(days=days) if days else None
    _token, raw = services.api_token_create(actor=request.user, client=client, name=form.cleaned_data["name"],
                                            expires_at=expires_at)
    # Shown once: never put in a URL, a message or a log.
    return _show_once(request, client, "new_token", raw)


@partner_manager_view
@require_POST
def token_revoke(request, client_id: int, token_id: int):
    client = services.client_get_for(user=request.user, client_id=client_id)
    token = get_object_or_404(ApiToken, pk=token_id, client=client)
    services.api_token_revoke(token=token)
    messages.success(request, _("Token revoked: it stops working at once."))
    return redirect("api:client_detail", client.pk)


@partner_manager_view
@require_POST
def subscription_create(request, client_id: int):
    client = services.client_get_for(user=request.user, client_id=client_id)
    form = SubscriptionForm(request.POST)
    if form.is_valid():
        try:
            subscription = services.webhook_subscription_create(client=client, url=form.cleaned_data["url"],
                                                                events=form.cleaned_data["events"])
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            return _show_once(request, client, "new_secret", subscription.secret)
    return render(request, "api/client_detail.html", _detail_context(request, client, subscription_form=form),
                  status=400)


@partner_manager_view
@require_POST
def subscription_ping(request, client_id: int, subscription_id: int):
    from .webhooks import webhook_ping

    client = services.client_get_for(user=request.user, client_id=client_id)
    subscription = get_object_or_404(WebhookSubscription, pk=subscription_id, client=client)
    try:
        webhook_ping(subscription=subscription)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, _("Test ping queued: see the delivery log."))
    return redirect("api:client_detail", client.pk)


@partner_manager_view
@require_POST
def subscription_delete(request, client_id: int, subscription_id: int):
    client = services.client_get_for(user=request.user, client_id=client_id)
    subscription = get_object_or_404(WebhookSubscription, pk=subscription_id, client=client)
    services.webhook_subscription_delete(subscription=subscription)
    messages.success(request, _("Subscription deleted."))
    return redirect("api:client_detail", client.pk)


@partner_manager_view
@require_POST
def delivery_replay(request, client_id: int, delivery_id: int):
    client = services.client_get_for(user=request.user, client_id=client_id)
    delivery = get_object_or_404(WebhookDelivery, pk=delivery_id, subscription__client=client)
    services.webhook_delivery_replay(delivery=delivery)
    messages.success(request, _("Delivery queued again."))
    return redirect("api:client_detail", client.pk)

"""Scopes a partner token may hold and the webhook events a partner may subscribe to."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Scope(models.TextChoices):
    SCHOOLS_READ = "schools:read", _("Schools: read")
    SCHOOLS_WRITE = "schools:write", _("Schools: write")
    ASSETS_READ = "assets:read", _("Assets: read")
    ASSETS_WRITE = "assets:write", _("Assets: write")
    REPAIRS_READ = "repairs:read", _("Repairs: read")
    REPAIRS_WRITE = "repairs:write", _("Repairs: write")
    SAFETY_READ = "safety:read", _("Safety: read")
    SAFETY_WRITE = "safety:write", _("Safety: write")
    PEOPLE_READ = "people:read", _("People: read")
    PEOPLE_WRITE = "people:write", _("People: write")
    REPORTING_READ = "reporting:read", _("Reporting: read")


class Event(models.TextChoices):
    REPAIR_ORDER_CREATED = "repair_order.created", _("Repair order created")
    REPAIR_ORDER_UPDATED = "repair_order.updated", _("Repair order updated")
    REPAIR_ORDER_OVERDUE = "repair_order.overdue", _("Repair order overdue")
    HAZARD_REPORTED = "hazard.reported", _("Hazard reported")
    HAZARD_CLOSED = "hazard.closed", _("Hazard closed")
    VISITOR_REGISTERED = "visitor.registered", _("Visitor registered")
    PATROL_LOGGED = "patrol.logged", _("Patrol logged")
    PURCHASE_REQUEST_APPROVED = "purchase_request.approved", _("Purchase request approved")
    ACCEPTANCE_RECORDED = "acceptance.recorded", _("Acceptance recorded")
    PING = "ping", _("Test ping")


# A partner receives an event only when its client holds the scope that reads what the event is about.
EVENT_SCOPE = {
    Event.REPAIR_ORDER_CREATED: Scope.REPAIRS_READ,
    Event.REPAIR_ORDER_UPDATED: Scope.REPAIRS_READ,
    Event.REPAIR_ORDER_OVERDUE: Scope.REPAIRS_READ,
    Event.HAZARD_REPORTED: Scope.SAFETY_READ,
    Event.HAZARD_CLOSED: Scope.SAFETY_READ,
    Event.VISITOR_REGISTERED: Scope.SAFETY_READ,
    Event.PATROL_LOGGED: Scope.SAFETY_READ,
    Event.PURCHASE_REQUEST_APPROVED: Scope.ASSETS_READ,
    Event.ACCEPTANCE_RECORDED: Scope.ASSETS_READ,
    Event.PING: None,
}


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")

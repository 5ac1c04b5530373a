from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.simple_tag(takes_context=True)
def query_replace(context, **kwargs) -> str:
    """The current query string with some parameters replaced (for pagination and sorting links)."""
    query = context["request"].GET.copy()
    for key, value in kwargs.items():
        query[key] = value
    return query.urlencode()


@register.filter
def yuan(value) -> str:
    """Format a Decimal amount of yuan: ¥56,000.00."""
    if value is None or value == "":
        return "—"
    return f"¥{value:,.2f}"


@register.filter
def percent(value, digits: int = 0) -> str:
    """0.6875 → 69%; None → —."""
    if value is None:
        return "—"
    return f"{float(value) * 100:.{int(digits)}f}%"


@register.filter
def yesno_zh(value) -> str:
    return _("Yes") if value else _("No")

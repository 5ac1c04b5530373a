from django import template

register = template.Library()


@register.filter
def get_item(mapping, key):
    """mapping[key], or "" when missing (for the ledger filters)."""
    return (mapping or {}).get(key, "")

from django import template

from lawtrail.core import text

register = template.Library()
register.filter("duration_zh", text.duration_zh)


@register.filter
def lookup(key, mapping):
    """mapping[key] in a template: {{ status|lookup:labels }}."""
    return mapping.get(key, key)

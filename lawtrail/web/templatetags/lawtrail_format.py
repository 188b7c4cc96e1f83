from django import template
from django.utils import timezone

from lawtrail.core import text

register = template.Library()
register.filter("duration_zh", text.duration_zh)


@register.filter
def lookup(key, mapping):
    """mapping[key] in a template: {{ status|lookup:labels }}."""
    return mapping.get(key, key)


@register.filter
def minute(value):
    """A time to the minute in the server's time zone, as `date:"Y-m-d H:i"` writes it
    (empty for none), without Django's general date formatter: tables write it per row."""
    if not value:
        return ""
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return value.strftime("%Y-%m-%d %H:%M")

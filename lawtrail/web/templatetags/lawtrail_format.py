from django import template

from lawtrail.core import text

register = template.Library()
register.filter("duration_zh", text.duration_zh)

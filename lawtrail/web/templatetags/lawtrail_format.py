from functools import lru_cache

from django import template
from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe

from lawtrail.core import text
from lawtrail.rules import base as rules_base
from lawtrail.regulations.citations import find as find_citations, of_profile, parse as parse_citation

register = template.Library()
register.filter("duration_zh", text.duration_zh)


@register.filter
def rule_title(rule_id):
    """A rule in words ({{ finding.rule_id|rule_title }}): users never read its id."""
    return rules_base.rule_title(rule_id)


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


def _citation_link(citation):
    articles = ",".join(str(n) for n in citation.articles)
    return format_html(
        '<a class="cite" href="{}#a{}" data-profile="{}" data-articles="{}" data-item="{}">{}</a>',
        reverse("web:regulation", args=[citation.profile_id]), citation.articles[0], citation.profile_id,
        articles, citation.item or "", citation.text)


@register.filter(is_safe=True)
def citations(value):
    """Running text with every article citation in it ("004 第三十条") made a link to the
    article, whose words show on hover or tap (static/web/citations.js)."""
    return _linked(str(value if value is not None else ""), get_script_prefix())


@lru_cache(maxsize=4096)
def _linked(value, script_prefix):
    """The same checklist messages and citations come back on page after page: each is
    searched and linked once (per the prefix the links' URLs are under)."""
    parts, at = [], 0
    for start, end, citation in find_citations(value):
        parts += [escape(value[at:start]), _citation_link(citation)]
        at = end
    parts.append(escape(value[at:]))
    return mark_safe("".join(parts))


@register.filter(is_safe=True)
def own_citations(cites, profile_id):
    """Of a list of citations kept for every profile (a document type's, a checklist item's),
    the ones of `profile_id` as links, joined by 、; empty where that profile has none."""
    return mark_safe("、".join(_citation_link(parse_citation(c)) for c in of_profile(cites, profile_id)))

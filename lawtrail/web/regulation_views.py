"""The regulation texts that LawTrail ships: the whole text of a profile with an anchor per
article, and its articles as JSON for the citation pop-ups."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import cache_control

from lawtrail.regulations.profiles import profiles
from lawtrail.regulations.texts import regulation_text


def _profile(profile_id):
    profile = profiles().get(profile_id)
    if profile is None:
        raise Http404("没有该规定")
    return profile


@login_required
def regulation_index(request):
    """A user of an agency goes straight to their own regulation; the admin picks one."""
    if request.user.agency_id:
        return redirect("web:regulation", request.user.agency.profile)
    return render(request, "web/regulations.html", {"profiles": profiles().values()})


@login_required
def regulation(request, profile_id):
    profile = _profile(profile_id)
    text = regulation_text(profile.source)
    chapters, current = [], None
    for article in text.articles.values():
        if current is None or article.chapter != current["title"]:
            current = {"title": article.chapter, "articles": []}
            chapters.append(current)
        current["articles"].append(article)
    return render(request, "web/regulation.html", {
        "profile": profile, "text": text, "chapters": chapters,
        "own": request.user.agency_id is not None and request.user.agency.profile == profile.id,
    })


@login_required
@cache_control(private=True, max_age=3600)
def regulation_articles(request, profile_id):
    """{article number: {label, text, items}} for the pop-up that a citation opens."""
    profile = _profile(profile_id)
    text = regulation_text(profile.source)
    return JsonResponse({
        "profile": profile.id, "title": profile.title, "agency": profile.agency,
        "articles": {str(n): {"label": a.label, "text": a.text, "items": {str(k): v for k, v in a.items.items()}}
                     for n, a in text.articles.items()},
    }, json_dumps_params={"ensure_ascii": False})

"""The installable app (移动执法): its web app manifest and its service worker. The worker is
served from the site's root so that it may control every page, and lists the app shell it
keeps in the browser; pages visited online (a case, its records) are kept too, for the site."""

import hashlib
import json
from pathlib import Path

from django.contrib.staticfiles import finders
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.views.decorators.cache import never_cache

# The app shell: what a phone needs to show a kept page and work on it offline.
SHELL = ["web/app.css", "web/app.js", "web/citations.js", "web/localdb.js", "web/autosave.js", "web/signature.js",
         "web/pickers.js", "web/upload.js", "web/capture.js", "web/sha256.js", "web/signqueue.js",
         "web/vendor/tus.min.js", "web/icon-192.png"]


def shell_size():
    """Bytes the service worker precaches (kept under 1 MB)."""
    return sum(Path(finders.find(name)).stat().st_size for name in SHELL)


def favicon(request):
    """/favicon.ico, which browsers ask for wherever a page names no icon (a PDF opened in a
    tab, say): the app's icon, not a 404 in the log."""
    return HttpResponseRedirect(static("web/icon-192.png"))  # (not permanent: the file's name changes with it)


def manifest(request):
    return JsonResponse({
        "name": "执法全过程记录系统", "short_name": "移动执法", "lang": "zh-CN", "start_url": "/", "scope": "/",
        "display": "standalone", "background_color": "#f2f4f8", "theme_color": "#1d4e89",
        "icons": [{"src": static(f"web/icon-{size}.png"), "sizes": f"{size}x{size}", "type": "image/png",
                   "purpose": "any maskable"} for size in (192, 512)],
    }, content_type="application/manifest+json", json_dumps_params={"ensure_ascii": False})


@never_cache
def service_worker(request):
    urls = [static(name) for name in SHELL]
    # A new worker, and with it a fresh shell, whenever a shell file changes: outside production
    # the static names carry no content hash, so the names alone would keep stale scripts.
    digest = hashlib.sha256("|".join(urls).encode())
    for name in SHELL:
        digest.update(Path(finders.find(name)).read_bytes())
    version = digest.hexdigest()[:12]
    response = render(request, "web/pwa/sw.js", {"precache": json.dumps(urls), "version": version},
                      content_type="application/javascript")
    response["Service-Worker-Allowed"] = "/"
    return response

"""The Merkle tree's tiles as C2SP tlog-tiles serves them (`/ledger/tile/<L>/<N>[.p/<W>]`),
for an auditor who mirrors the log and checks it against the signed checkpoints.

Served to supervisors and administrators, who audit the system, and to no one else: a tile
holds only hashes, but the leaf hashes of a small ledger would let a guesser confirm what an
entry says. Full tiles never change, so they may be kept for good."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from lawtrail.ledger.tiles import parse_path, tile_bytes
from lawtrail.org.enums import Role


@login_required
@require_GET
def tile(request, path):
    if request.user.role not in (Role.SUPERVISOR, Role.ADMIN):
        return render(request, "web/forbidden.html", {"message": "只有法制监督人员或系统管理员可以读取账本瓦片"},
                      status=403)
    where = parse_path(path)
    data = tile_bytes(*where) if where else None
    if data is None:
        raise Http404("没有这个瓦片。")
    response = HttpResponse(data, content_type="application/octet-stream")
    response["Cache-Control"] = "private, max-age=31536000, immutable"  # a tile's bytes never change
    return response

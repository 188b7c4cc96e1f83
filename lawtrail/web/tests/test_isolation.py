"""Agency isolation, walked from the URL configuration: every page and endpoint that takes an
object's id answers a user of another agency with 404 for each object of the first agency,
whichever method it accepts. A new page or endpoint is covered without a test of its own; a
parameter this walk does not know fails it until it is added to IDS."""

import datetime
import re

import pytest
from django.test import Client
from django.urls import URLResolver, get_resolver

from lawtrail.access.tests.test_write_matrix import call, web_world, writes
from lawtrail.archive.services import disposal_request
from lawtrail.archive.tests.conftest import archived_patrol, attached_record
from lawtrail.cases.enums import Confidentiality
from lawtrail.ledger.chain import ledger_catch_up
from lawtrail.ledger.models import Entry
from lawtrail.media.services import recording_play, upload_create
from lawtrail.org.enums import Role
from lawtrail.org.services import token_create
from lawtrail.testing import Org, sign_in

pytestmark = pytest.mark.django_db
PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")
# Parameters that name no object of an agency: a document's slot, a step, an archive action,
# an export format, a regulation profile; and a 扫码验真 code, which names a document to
# anyone on purpose (its page is public, web/tests/test_verify.py).
NOT_OBJECTS = {"slot": "officers", "name": "approve_start", "action": "hold", "fmt": "xlsx", "profile_id": "004",
               "code": "ABCDEFGHJKLM", "path": "0/000"}  # a tile: hashes of the one ledger, no agency's object


def walk(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern)


def world(tmp_path):
    """The first agency's objects, every kind a URL can name, and the payload an allowed user
    would post to each write endpoint (so the answer is about the object, not the body)."""
    w = web_world(Confidentiality.INTERNAL, tmp_path)
    payloads = {path.replace("{", "<").replace("}", ">").lstrip("/"): payload
                for method, path, url, payload, *_ in writes(w)}
    payloads.update({"api/tokens/<token_id>/revoke": {"reason": "离职"},
                     "api/disposals/<request_id>/decide": {"approve": True, "reason": "同意"}})
    org, lead = w["org"], w["org"].officer_users[0]
    from django.core.files.uploadedfile import SimpleUploadedFile

    from lawtrail.records.services import record_attach
    from lawtrail.samples import png_bytes

    attachment = record_attach(actor=lead, record=w["draft"],
                               upload=SimpleUploadedFile("签字页.png", png_bytes(), "image/png"))
    long_ago = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=200)
    (tmp_path / "patrol").mkdir()
    patrol_org, patrol_case, patrol_recording = archived_patrol(tmp_path / "patrol", "iso", long_ago,
                                                                before_closing=attached_record)
    disposal = disposal_request(actor=patrol_org.users[Role.ARCHIVIST], case=patrol_case,
                                recording=patrol_recording, reason="保存期满")
    token = token_create(actor=None, username=lead.username)
    ledger_catch_up(w["case"].scope)  # the case's entries chained, so a proof of one can be asked for
    upload = upload_create(actor=lead, length=100, metadata={
        "filename": "现场.mp4", "case_no": w["case"].case_no, "officer_cert": org.officers[0].cert_no})
    from lawtrail.org.models import ApiToken

    return {
        "case": w["case"].pk, "record": w["draft"].pk, "recording": w["recordings"][0].pk,
        "attachment": attachment.pk, "hold": w["hold"].pk, "provision": w["provision"].pk,
        "disposal": disposal.pk, "grant": w["grant"].pk, "token": ApiToken.objects.filter(user=lead).latest("pk").pk,
        "raw_token": token, "draw": w["draw"].pk, "action": w["action"].pk, "device": w["device"].pk,
        "user": lead.pk, "seq": Entry.objects.filter(scope=w["case"].scope).first().seq,
        "play": recording_play(actor=lead, recording=w["recordings"][0]), "payloads": payloads,
        "upload": upload.pk,
    }


def ids_for(path, objects):
    """The value for each parameter of a path: `pk` by the part of the site it is in."""
    owner_of_pk = {"cases/": "case", "supervision/draws/": "draw", "supervision/actions/": "action",
                   "devices/": "device"}
    by_name = {"case_id": "case", "record_id": "record", "recording_id": "recording", "attachment_id": "attachment",
               "hold_id": "hold", "provision_id": "provision", "request_id": "disposal", "grant_id": "grant",
               "token_id": "token", "user_id": "user", "seq": "seq", "token": "play", "upload_id": "upload"}
    values = {}
    for _, name in PARAM.findall(path):
        if name in NOT_OBJECTS:
            values[name] = NOT_OBJECTS[name]
        elif name == "pk":
            values[name] = objects[next(v for prefix, v in owner_of_pk.items() if path.startswith(prefix))]
        elif name in by_name:
            values[name] = objects[by_name[name]]
        else:
            raise AssertionError(f"{path}: no object for <{name}>; add it to ids_for")
    return values


def fill(path, values):
    return "/" + PARAM.sub(lambda m: str(values[m.group(2)]), path)


def nowhere(values):
    """The same parameters with every object id one that exists in no agency."""
    return {name: value if name in NOT_OBJECTS else ("999999999" if str(value).isdigit() else "nowhere")
            for name, value in values.items()}


def answer(client, method, path, url, payloads):
    if method == "post" and path in payloads:
        return call(client, "post", url, payloads[path])
    if method == "patch":  # as a tus client sends its next bytes
        return client.patch(url, b"0" * 10, content_type="application/offset+octet-stream",
                            HTTP_TUS_RESUMABLE="1.0.0", HTTP_UPLOAD_OFFSET="0")
    return getattr(client, method)(url, HTTP_TUS_RESUMABLE="1.0.0")


def test_a_user_of_another_agency_finds_nothing_of_the_first(tmp_path):
    objects = world(tmp_path)
    intruders = Org("intruder")
    wrong = []
    paths = [p for p in walk(get_resolver().url_patterns)
             if PARAM.search(p) and set(n for _, n in PARAM.findall(p)) - set(NOT_OBJECTS)]
    assert len(paths) > 60
    for role in (Role.HEAD, Role.SUPERVISOR, Role.ARCHIVIST, Role.OFFICER):
        user = intruders.users.get(role) or intruders.officer_users[0]
        client = sign_in(Client(), user)
        for path in paths:
            values = ids_for(path, objects)
            url = fill(path, values)
            answered = []
            for method in ("get", "post", "patch", "delete", "head"):
                status = answer(client, method, path, url, objects["payloads"]).status_code
                if status == 405:
                    continue
                answered.append(status)
                # 404, or the refusal by role that the same request for an id that exists
                # nowhere also gets: either way nothing is learnt of the object.
                if status != 404 and not (status == 403 and answer(
                        client, method, path, fill(path, nowhere(values)), objects["payloads"]).status_code == 403):
                    wrong.append(f"{method.upper()} {url} as {role}: {status}")
            if not answered:
                wrong.append(f"{url}: answers no method")
    assert wrong == [], "\n".join(wrong)

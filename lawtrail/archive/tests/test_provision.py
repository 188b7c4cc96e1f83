"""Provision to review bodies and courts: approval where the profile demands it, and a
copy of exactly what was handed over, with who received it and when."""

import hashlib
import io
import zipfile

import pytest
from django.test import Client

from lawtrail.archive.models import ProvisionPurpose, ProvisionStatus
from lawtrail.archive.services import provision_decide, provision_deliver, provision_request
from lawtrail.blobs import blob_store
from lawtrail.core.errors import Conflict, NotAllowed
from lawtrail.ledger.models import Entry
from lawtrail.org.enums import Role
from lawtrail.testing import Org, sign_in

pytestmark = pytest.mark.django_db


def ended(org):
    case = org.open_case()
    org.final_record(case, "filing_approval")
    return case


def test_002_provision_goes_through_the_heads_approval_and_keeps_a_copy():
    org = Org("p", profile="002")
    case = ended(org)
    provision = provision_request(actor=org.officer_users[0], case=case, purpose=ProvisionPurpose.LITIGATION,
                                  recipient="大连市西岗区人民法院", reason="当事人提起行政诉讼，依法举证")
    assert provision.status == ProvisionStatus.PENDING and provision.approval_basis == "002 第十四条"
    with pytest.raises(Conflict, match="待审批"):
        provision_deliver(actor=org.users[Role.ARCHIVIST], provision=provision, received_by="法院立案庭王法官")
    with pytest.raises(NotAllowed, match="负责人"):
        provision_decide(actor=org.users[Role.ARCHIVIST], provision=provision, approve=True, reason="同意")
    provision_decide(actor=org.head, provision=provision, approve=True, reason="同意经综合科统一提供")
    with pytest.raises(NotAllowed, match="统一办理"):
        provision_deliver(actor=org.officer_users[0], provision=provision, received_by="王法官")
    provision = provision_deliver(actor=org.users[Role.ARCHIVIST], provision=provision, received_by="法院立案庭王法官")
    assert provision.status == ProvisionStatus.PROVIDED and provision.provided_at and provision.received_by
    with blob_store().open(provision.package_sha256) as f:
        kept = f.read()
    assert hashlib.sha256(kept).hexdigest() == provision.package_sha256 and len(kept) == provision.package_size
    with zipfile.ZipFile(io.BytesIO(kept)) as zf:
        names = zf.namelist()
    assert any(n.endswith("/verify.py") for n in names) and any(n.endswith("/bagit.txt") for n in names)
    delivered = Entry.objects.get(scope=case.scope, action="provision.deliver")
    assert provision.package_sha256 in delivered.reason and "王法官" in delivered.reason
    with pytest.raises(Conflict, match="已提供"):
        provision_deliver(actor=org.users[Role.ARCHIVIST], provision=provision, received_by="再次")


def test_a_denied_provision_is_never_delivered():
    org = Org("p", profile="003")
    provision = provision_request(actor=org.users[Role.ARCHIVIST], case=ended(org), purpose=ProvisionPurpose.REVIEW,
                                  recipient="金普新区复议机关", reason="复议举证")
    provision_decide(actor=org.head, provision=provision, approve=False, reason="材料尚不完整")
    with pytest.raises(Conflict, match="不予批准"):
        provision_deliver(actor=org.users[Role.ARCHIVIST], provision=provision, received_by="某人")


def test_004_needs_no_approval_but_still_keeps_the_copy():
    org = Org("p", profile="004")
    provision = provision_request(actor=org.users[Role.ARCHIVIST], case=ended(org), purpose=ProvisionPurpose.ARCHIVE,
                                  recipient="衡阳市林业局档案室", reason="移交档案室统一存档")
    assert provision.status == ProvisionStatus.APPROVED
    provision = provision_deliver(actor=org.users[Role.ARCHIVIST], provision=provision, received_by="档案室李明")
    assert blob_store().exists(provision.package_sha256)


def test_the_provision_flow_through_the_api_and_the_kept_copy_download():
    org = Org("p", profile="002")
    case = ended(org)
    archivist, head = Client(), Client()
    sign_in(archivist, org.users[Role.ARCHIVIST])
    sign_in(head, org.head)
    base = f"/api/cases/{case.pk}/provisions"
    response = archivist.post(base, {"purpose": "review", "recipient": "西岗区人民政府", "reason": "复议举证"},
                              content_type="application/json")
    assert response.status_code == 201 and response.json()["status"] == "pending"
    pid = response.json()["id"]
    assert head.post(f"{base}/{pid}/decide", {"approve": True, "reason": "同意"},
                     content_type="application/json").json()["status"] == "approved"
    response = archivist.post(f"{base}/{pid}/deliver", {"received_by": "复议科张三"}, content_type="application/json")
    assert response.status_code == 200 and response.json()["status"] == "provided"
    response = head.get(f"{base}/{pid}/package")
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert hashlib.sha256(body).hexdigest() == response["X-Content-SHA256"]
    assert Entry.objects.filter(scope=case.scope, action="provision.download").exists()
    response = archivist.post(base, {"purpose": "gift", "recipient": "x", "reason": "y"},
                              content_type="application/json")
    assert response.status_code == 422

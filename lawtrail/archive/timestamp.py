"""RFC 3161 time-stamps from the time-stamping authority (TSA) the deployment names.

A package's tag manifest names the SHA-256 of every other manifest, which name every
file: a time-stamp over it dates the whole package, independently of LawTrail's own
signed checkpoint. The request asks for the TSA's certificate and carries a nonce; the
answer is checked (status, nonce, message imprint, the signature up to the configured
certificates, the critical time-stamping key usage) with `rfc3161-client` before it is
put into the package, so a package never carries a stamp that would not verify.
"""

import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from django.conf import settings

from lawtrail.core.errors import LawTrailError

QUERY_TYPE = "application/timestamp-query"
REPLY_TYPE = "application/timestamp-reply"


class TimestampUnavailable(LawTrailError):
    status = 503


@dataclass(frozen=True)
class Stamp:
    response: bytes  # the DER TimeStampResp, as the TSA sent it
    gen_time: object  # datetime, UTC
    serial: int
    tsa: str


def tsa_configured():
    return bool(settings.LAWTRAIL_TSA_URL)


def tsa_certificates():
    path = settings.LAWTRAIL_TSA_CERTS
    try:
        certificates = x509.load_pem_x509_certificates(Path(path).read_bytes()) if path else []
    except (OSError, ValueError) as exc:
        raise TimestampUnavailable(f"时间戳服务的证书文件 {path} 无法读取：{exc}；请检查 LAWTRAIL_TSA_CERTS") from exc
    if not any(c.subject == c.issuer for c in certificates):
        raise TimestampUnavailable("已配置时间戳服务（LAWTRAIL_TSA_URL），但未配置用于核验其签名的根证书"
                                   "（LAWTRAIL_TSA_CERTS，PEM 格式）；证据包未导出")
    return certificates


def certificates_pem():
    """The configured certificates, to ship beside the stamp for an offline check."""
    return Path(settings.LAWTRAIL_TSA_CERTS).read_bytes()


def stamp(data: bytes) -> Stamp:
    """Have the configured TSA stamp `data`, and check its answer."""
    from rfc3161_client import (HashAlgorithm, TimestampRequestBuilder, VerificationError, VerifierBuilder,
                                decode_timestamp_response)

    certificates = tsa_certificates()
    url = settings.LAWTRAIL_TSA_URL
    # SHA-256, as in the manifests, so that the offline verifier can find the imprint.
    request = (TimestampRequestBuilder().data(data).hash_algorithm(HashAlgorithm.SHA256).nonce(nonce=True)
               .cert_request(cert_request=True).build())
    http = urllib.request.Request(url, data=request.as_bytes(), method="POST",
                                  headers={"Content-Type": QUERY_TYPE, "Accept": REPLY_TYPE})
    try:
        with urllib.request.urlopen(http, timeout=settings.LAWTRAIL_TSA_TIMEOUT) as reply:
            body = reply.read()
    except (urllib.error.URLError, OSError) as exc:
        raise TimestampUnavailable(f"时间戳服务 {url} 无法访问（{getattr(exc, 'reason', exc)}）；"
                                   "证据包未导出，请稍后重试或联系系统管理员") from exc
    try:
        response = decode_timestamp_response(body)
        builder = VerifierBuilder.from_request(request)
        for certificate in certificates:
            builder = (builder.add_root_certificate(certificate) if certificate.subject == certificate.issuer
                       else builder.add_intermediate_certificate(certificate))
        builder.build().verify_message(response, data)
    except (ValueError, VerificationError) as exc:
        raise TimestampUnavailable(f"时间戳服务 {url} 的应答未通过核验（{exc}）；证据包未导出") from exc
    return Stamp(response=body, gen_time=response.tst_info.gen_time, serial=response.tst_info.serial_number,
                 tsa=url)

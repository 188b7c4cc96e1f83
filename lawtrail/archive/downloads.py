"""The archive's downloads, the same for the API and the pages: the service checks the
policy and logs the access, then the file goes out (a confidential case's PDF watermarked)."""

from lawtrail.access.watermark import pdf_download
from lawtrail.archive import selectors, services
from lawtrail.archive.package import package_zip
from lawtrail.blobs.responses import blob_download, file_download
from lawtrail.core.errors import NotFound


def case_file_response(request, case):
    """The latest case file's PDF."""
    case_file = selectors.latest_case_file(case)
    if case_file is None:
        raise NotFound("尚未组卷")
    services.casefile_downloaded(actor=request.user, case_file=case_file, request=request)
    return pdf_download(request.user, case, case_file.pdf_sha256, f"{case.case_no}_案卷_v{case_file.version}.pdf")


def package_response(request, case):
    """A fresh evidence package of the case (BagIt, with its verifier)."""
    services.check_exporter(request.user, case)
    with package_zip(actor=request.user, case=case, purpose="网页下载证据包", request=request) as path:
        handle = open(path, "rb")
    return file_download(handle, path.name, "application/zip")


def provided_copy_response(request, provision):
    """The copy kept of exactly what a provision handed out."""
    if not provision.package_sha256:
        raise NotFound("尚未提供，没有留存副本")
    services.provision_copy_downloaded(actor=request.user, provision=provision, request=request)
    return blob_download(provision.package_sha256, f"{provision.case.case_no}_提供副本_{provision.pk}.zip",
                         "application/zip")

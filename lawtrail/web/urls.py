from django.contrib.auth.views import LogoutView
from django.urls import path, register_converter

from lawtrail.web import (
    access_views, archive_views, audit_views, media_views, offline_sign_views, print_views, pwa_views, receipt_views,
    regulation_views, session_views, supervision_views, tile_views, token_views, two_factor_views, verify_views, views,
)

class IdConverter:
    """A database id: at most 18 digits, so a guessed huge number is a 404, not a crash."""

    regex = "[0-9]{1,18}"

    def to_python(self, value):
        return int(value)

    def to_url(self, value):
        return str(value)


register_converter(IdConverter, "id")

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("favicon.ico", pwa_views.favicon, name="favicon"),
    path("manifest.webmanifest", pwa_views.manifest, name="manifest"),
    path("sw.js", pwa_views.service_worker, name="service_worker"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("login/again/", session_views.login_again, name="login_again"),
    path("logout/", LogoutView.as_view(), name="logout"),
    path("2fa/", two_factor_views.two_factor, name="two_factor"),
    path("2fa/setup/", two_factor_views.two_factor_setup, name="two_factor_setup"),
    # Not under /2fa/, which a session not yet verified may reach.
    path("users/two-factor/", two_factor_views.two_factor_accounts, name="two_factor_accounts"),
    path("users/<id:user_id>/two-factor/code/", two_factor_views.two_factor_code_issue_view,
         name="two_factor_code_issue"),
    path("users/<id:user_id>/two-factor/reset/", two_factor_views.two_factor_reset_view, name="two_factor_reset"),
    path("tokens/", token_views.tokens, name="tokens"),
    path("tokens/<id:token_id>/revoke/", token_views.token_revoke_view, name="token_revoke"),
    path("cases/", views.case_list, name="case_list"),
    path("cases/new/", views.case_create, name="case_create"),
    path("cases/<id:pk>/", views.case_detail, name="case_detail"),
    path("cases/<id:pk>/steps/<slug:name>/", views.case_step, name="case_step"),
    path("cases/<id:pk>/records/new/", views.record_create_view, name="record_create"),
    path("cases/<id:pk>/records/<id:record_id>/", views.record_detail, name="record_detail"),
    path("cases/<id:pk>/records/<id:record_id>/sign/<slug:slot>/", views.record_sign_view, name="record_sign"),
    path("cases/<id:pk>/records/<id:record_id>/sign/<slug:slot>/captured/",
         offline_sign_views.record_sign_captured_view, name="record_sign_captured"),
    path("cases/<id:pk>/records/<id:record_id>/refuse/<slug:slot>/", views.record_refuse_view,
         name="record_refuse"),
    path("cases/<id:pk>/records/<id:record_id>/finalise/", views.record_finalise_view, name="record_finalise"),
    path("cases/<id:pk>/records/<id:record_id>/correct/", views.record_correct_view, name="record_correct"),
    path("cases/<id:pk>/records/<id:record_id>/pdf/", views.record_pdf, name="record_pdf"),
    path("cases/<id:pk>/records/<id:record_id>/receipt/", receipt_views.record_receipt, name="record_receipt"),
    path("cases/<id:pk>/records/<id:record_id>/preview/", print_views.record_preview, name="record_preview"),
    path("forms/", print_views.blank_forms, name="blank_forms"),
    path("forms/<slug:code>/", print_views.blank_form, name="blank_form"),
    path("cases/<id:pk>/records/<id:record_id>/attachments/", views.record_attach_view, name="record_attach"),
    path("cases/<id:pk>/records/<id:record_id>/attachments/<id:attachment_id>/", views.record_attachment,
         name="record_attachment"),
    path("cases/<id:pk>/recordings/<id:recording_id>/", media_views.recording_detail, name="recording_detail"),
    path("cases/<id:pk>/recordings/<id:recording_id>/download/", media_views.recording_download,
         name="recording_download"),
    path("cases/<id:pk>/recordings/<id:recording_id>/explanation/", media_views.recording_explanation_view,
         name="recording_explanation"),
    path("cases/<id:pk>/gaps/", media_views.gap_explain_view, name="gap_explain"),
    path("cases/<id:pk>/archive/", archive_views.case_archive, name="case_archive"),
    path("cases/<id:pk>/archive/<slug:action>/", archive_views.case_archive_action, name="case_archive_action"),
    path("cases/<id:pk>/case-file.pdf", archive_views.case_file_pdf, name="case_file_pdf"),
    path("cases/<id:pk>/package.zip", archive_views.package_download, name="package_download"),
    path("cases/<id:pk>/provisions/<id:provision_id>/copy.zip", archive_views.provision_copy, name="provision_copy"),
    path("archive/", archive_views.archive_home, name="archive"),
    path("archive/disposals/<id:request_id>/decide/", archive_views.disposal_decide_view, name="disposal_decide"),
    path("supervision/", supervision_views.supervision, name="supervision"),
    path("supervision/dashboard/", supervision_views.dashboard, name="dashboard"),
    path("supervision/report.<slug:fmt>", supervision_views.report_export, name="report_export"),
    path("supervision/draws/", supervision_views.draw_create, name="draw_create"),
    path("supervision/draws/<id:pk>/", supervision_views.draw_detail, name="draw_detail"),
    path("supervision/draws/<id:pk>/checks/", supervision_views.check_create, name="check_create"),
    path("supervision/actions/", supervision_views.action_create, name="action_create"),
    path("supervision/actions/<id:pk>/close/", supervision_views.action_close, name="action_close"),
    path("supervision/ledger.<slug:fmt>", supervision_views.ledger_export, name="ledger_export"),
    path("devices/", supervision_views.devices, name="devices"),
    path("devices/new/", supervision_views.device_create, name="device_create"),
    path("devices/<id:pk>/", supervision_views.device_detail, name="device_detail"),
    path("devices/<id:pk>/events/", supervision_views.device_event_create, name="device_event"),
    path("grants/", access_views.grants, name="grants"),
    path("cases/<id:pk>/confidentiality/", access_views.item_confidentiality_view, name="item_confidentiality"),
    path("grants/request/", access_views.grant_request_view, name="grant_request"),
    path("grants/<id:grant_id>/decide/", access_views.grant_decide_view, name="grant_decide"),
    path("audit/", audit_views.audit, name="audit"),
    path("regulations/", regulation_views.regulation_index, name="regulations"),
    path("regulations/<slug:profile_id>/", regulation_views.regulation, name="regulation"),
    path("regulations/<slug:profile_id>/articles.json", regulation_views.regulation_articles,
         name="regulation_articles"),
    path("verify/", verify_views.verify_form, name="verify_form"),
    path("verify/<str:code>", verify_views.verify, name="verify"),
    path("ledger/", views.ledger, name="ledger"),
    path("ledger/checkpoint/", views.ledger_sign, name="ledger_sign"),
    path("ledger/tile/<path:path>", tile_views.tile, name="ledger_tile"),  # C2SP tlog-tiles, read-only
]

"""The REST API under /api/, with its OpenAPI document at /api/openapi.json (in production
for signed-in users only).

Authenticated by the web session or by `Authorization: Bearer TOKEN`
(`lawtrail token USERNAME`). Endpoints validate, call one service or selector,
and serialise; errors are the services' typed errors with their Chinese message.
"""

from functools import wraps

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import JsonResponse
from django.http.request import RawPostDataException
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError
from ninja.security import HttpBearer, django_auth

from lawtrail.core.errors import LawTrailError
from lawtrail.org.services import token_authenticate, token_user


class BearerToken(HttpBearer):
    def authenticate(self, request, token):
        # A refused token (unknown, expired, revoked) answers 401 with its reason.
        request.user = token_authenticate(token.strip())
        return request.user


def signed_in_in_production(view):
    """The API's description names every endpoint and field: in production only a signed-in
    user (session or token) reads it; a browser is sent to sign in, a program told why."""
    @wraps(view)
    def guarded(request, *args, **kwargs):
        if not settings.PRODUCTION or request.user.is_authenticated:
            return view(request, *args, **kwargs)
        auth = request.headers.get("Authorization", "")
        if auth.startswith("Bearer ") and token_user(auth[7:].strip()) is not None:
            return view(request, *args, **kwargs)
        if "text/html" in request.headers.get("Accept", ""):
            return redirect_to_login(request.get_full_path())
        return JsonResponse({"detail": "请先登录系统，或在请求中带上 API 令牌（Authorization: Bearer 令牌），"
                                       "再查看 API 文档"}, status=401)
    return guarded


api = NinjaAPI(
    title="LawTrail 执法全过程记录系统 API",
    version="1",
    docs_decorator=signed_in_in_production,
    # The token first: the session's CSRF check (which a token request cannot pass, and
    # need not, as no browser sends the header by itself) would otherwise refuse it.
    auth=[BearerToken(), django_auth],
)


@api.exception_handler(LawTrailError)
def lawtrail_error(request, exc):
    body = {"detail": exc.message}
    if exc.field:
        body["field"] = exc.field
    return api.create_response(request, body, status=exc.status)


@api.exception_handler(AuthenticationError)
def unauthenticated(request, exc):
    return api.create_response(request, {"detail": "未登录或令牌无效"}, status=401)


@api.exception_handler(OverflowError)
def out_of_range(request, exc):
    # A number larger than the database can hold (a guessed id, an absurd offset) names nothing.
    return api.create_response(request, {"detail": "请求参数超出允许的范围"}, status=422)


@api.exception_handler(RawPostDataException)
def not_json(request, exc):
    # A form or multipart body sent to an endpoint that reads JSON: the session's CSRF check
    # has read it as a form, so it cannot be read again. The client sent the wrong kind.
    return api.create_response(request, {"detail": "请求体须为 JSON，请以 Content-Type: application/json 提交"},
                               status=415)


@api.exception_handler(ValidationError)
def invalid_request(request, exc):
    return api.create_response(request, {"detail": "请求格式不正确", "errors": exc.errors}, status=422)


api.add_router("/", "lawtrail.cases.api.router")
api.add_router("/ledger/", "lawtrail.ledger.api.router")
api.add_router("/", "lawtrail.media.api.router")
api.add_router("/", "lawtrail.org.api.router")
api.add_router("/", "lawtrail.records.api.router")
api.add_router("/", "lawtrail.archive.api.router")
api.add_router("/", "lawtrail.access.api.router")

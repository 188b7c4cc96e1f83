"""The REST API under /api/, with its OpenAPI document at /api/openapi.json.

Authenticated by the web session or by `Authorization: Bearer TOKEN`
(`lawtrail token USERNAME`). Endpoints validate, call one service or selector,
and serialise; errors are the services' typed errors with their Chinese message.
"""

from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError
from ninja.security import HttpBearer, django_auth

from lawtrail.core.errors import LawTrailError
from lawtrail.org.services import token_user


class BearerToken(HttpBearer):
    def authenticate(self, request, token):
        user = token_user(token)
        if user is not None:
            request.user = user
        return user


api = NinjaAPI(
    title="LawTrail 执法全过程记录系统 API",
    version="1",
    auth=[django_auth, BearerToken()],
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

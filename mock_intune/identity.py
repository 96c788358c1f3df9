"""Who may call the Graph API: an app registration (tenant, client id, client secret) that gets
bearer tokens by the OAuth 2.0 client-credentials grant, shaped like the Microsoft identity
platform's v2.0 token endpoint, and the guard that requires one on every `/beta` request.

    POST /{tenant}/oauth2/v2.0/token
    Content-Type: application/x-www-form-urlencoded

    grant_type=client_credentials&client_id=...&client_secret=...&scope=https://graph.microsoft.com/.default

    200 {"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": "..."}

Refusals are problems of the kinds `invalid-request`, `invalid-client`, `unsupported-grant-type`
and `invalid-scope`, each with the identity platform's AADSTS number; `graph_errors` answers
them in the identity platform's shape. A `/beta` request without a token, with a token this
server did not issue, or with one expired on the lab clock gets 401 with
`WWW-Authenticate: Bearer` (plus `error="invalid_token"` when a token was sent).

Approximations: access tokens are opaque random strings (the real ones are JWTs, which Graph
clients do not read); the token endpoint is served by mock Intune itself, not by a separate
login host; only the SHA-256 of each token is kept, and tokens survive `POST /admin/reset` (the
app registration is not tenant data). The registration and the tokens issued are kept in the
service's storage (`registration`), so a restart keeps both.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from aiohttp import web

from servicekit.auth import bearer_token, is_under, same_secret
from servicekit.problems import Handler, Problem, Unauthorized
from servicekit.storage import Storage
from servicekit.webapp import SERVER_STATE
from trust_store.randomness import Randomness

from .fields import JsonObject
from .problems import (
    InvalidClient,
    InvalidRequest,
    InvalidScope,
    InvalidToken,
    UnsupportedGrantType,
)
from .registration import TOKEN_ROUTE, AccessTokens, GraphApp, TokenStatus
from .settings import ServerSettings

GRAPH_PREFIX = "/beta"
GRANT_TYPE = "client_credentials"
#: The scopes that name Microsoft Graph for an app-only token: its URI and its app id.
GRAPH_SCOPES = (
    "https://graph.microsoft.com/.default",
    "00000003-0000-0000-c000-000000000000/.default",
)
GRAPH_REALM = "dcemu-graph"
#: Form fields a token request may carry (more are refused as malformed, not parsed).
MAX_FORM_FIELDS = 16
FORM = "application/x-www-form-urlencoded"


GRAPH_APP = web.AppKey("graph_app", GraphApp)
ACCESS_TOKENS = web.AppKey("graph_access_tokens", AccessTokens)


# --- the token endpoint -----------------------------------------------------------------------


def _form(raw: bytes) -> dict[str, str]:
    """The form fields of a token request, each at most once (RFC 6749 section 3.2)."""
    try:
        pairs = parse_qsl(
            raw.decode("utf-8"),
            keep_blank_values=True,
            strict_parsing=bool(raw),
            max_num_fields=MAX_FORM_FIELDS,
        )
    except (UnicodeDecodeError, ValueError) as e:
        raise InvalidRequest(f"the body is not a form: {e}") from None
    form: dict[str, str] = {}
    for name, value in pairs:
        if name in form:
            raise InvalidRequest(f"the parameter '{name}' is given more than once")
        form[name] = value
    return form


def _required(form: dict[str, str], name: str) -> str:
    value = form.get(name, "").strip()
    if not value:
        raise InvalidRequest(
            f"The request body must contain the following parameter: '{name}'.", aadsts=900144
        )
    return value


def _authenticate_client(app: GraphApp, form: dict[str, str]) -> None:
    client_id = _required(form, "client_id")
    secret = form.get("client_secret", "")
    if not secret:
        raise InvalidClient(
            "The request body must contain the following parameter: 'client_assertion' or "
            "'client_secret'.",
            aadsts=7000218,
        )
    if client_id.lower() != app.client_id.lower():
        raise InvalidClient(
            f"Application with identifier '{client_id}' was not found in the directory "
            f"'{app.tenant_id}'.",
            aadsts=700016,
        )
    if not same_secret(secret, app.client_secret):
        raise InvalidClient(
            f"Invalid client secret provided. Ensure the secret being sent in the request is the "
            f"client secret value, not the client secret ID, for a secret added to app "
            f"'{app.client_id}'.",
            aadsts=7000215,
        )


async def token(request: web.Request) -> web.Response:
    """`POST /{tenant}/oauth2/v2.0/token`: the client-credentials grant."""
    app = request.app[GRAPH_APP]
    tenant = request.match_info["tenant"]
    if tenant.lower() != app.tenant_id.lower():
        raise InvalidRequest(
            f"Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID.",
            aadsts=90002,
        )
    if request.content_type != FORM:
        raise InvalidRequest(
            f"The request body must be {FORM}, not {request.content_type or 'nothing'}.",
            aadsts=900144,
        )
    form = _form(await request.read())  # aiohttp enforces the body limit here (413)
    grant = _required(form, "grant_type")
    if grant != GRANT_TYPE:
        raise UnsupportedGrantType(
            f"The provided value for the input parameter 'grant_type' is not valid: {grant!r}; "
            f"this endpoint answers only {GRANT_TYPE}.",
            aadsts=70003,
        )
    _authenticate_client(app, form)
    scope = _required(form, "scope")
    if scope.lower() not in GRAPH_SCOPES:
        raise InvalidScope(
            f"The provided value for scope {scope} is not valid. Client credential flows must "
            f"have a scope value with /.default suffixed to the resource identifier "
            f"(application ID URI): {GRAPH_SCOPES[0]}.",
            aadsts=1002012,
        )
    tokens = request.app[ACCESS_TOKENS]
    access_token = tokens.issue(request.app[SERVER_STATE].clock.now())
    seconds = int(tokens.lifetime.total_seconds())
    return web.json_response(
        {
            "token_type": "Bearer",
            "expires_in": seconds,
            "ext_expires_in": seconds,
            "access_token": access_token,
        },
        headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
    )


def is_token_path(path: str) -> bool:
    """`path` has the token endpoint's shape (any tenant)."""
    parts = path.split("/")
    return (
        len(parts) == 5
        and parts[0] == ""
        and parts[1] != ""
        and parts[2:]
        == [
            "oauth2",
            "v2.0",
            "token",
        ]
    )


def add_identity_routes(app: web.Application) -> None:
    app.router.add_post(TOKEN_ROUTE, token)


# --- the guard on /beta -----------------------------------------------------------------------


def _refusal(problem: Problem, request: web.Request, error: str | None) -> web.Response:
    resp = problem.response(request.path)
    challenge = f'Bearer realm="{GRAPH_REALM}"'
    if error is not None:
        challenge += f', error="invalid_token", error_description="{error}"'
    resp.headers["WWW-Authenticate"] = challenge
    return resp


@web.middleware
async def graph_guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every request under `/beta` needs a live access token from the token endpoint."""
    if not is_under(request.path, GRAPH_PREFIX):
        return await handler(request)
    given = bearer_token(request)
    if given is None:
        return _refusal(Unauthorized("Access token is empty."), request, None)
    status = request.app[ACCESS_TOKENS].check(given, request.app[SERVER_STATE].clock.now())
    if status is TokenStatus.UNKNOWN:
        problem = InvalidToken("Access token validation failure: not a token of this tenant.")
        return _refusal(problem, request, "the token is not valid")
    if status is TokenStatus.EXPIRED:
        problem = InvalidToken("Lifetime validation failed, the token is expired.")
        return _refusal(problem, request, "the token is expired")
    return await handler(request)


def install(
    app: web.Application,
    settings: ServerSettings,
    rand: Randomness,
    storage: Storage,
    *,
    tokens_rand: Randomness | None = None,
) -> GraphApp:
    """Put the app registration and its token store on `app` (the routes and the guard are
    added by the factory). The registration is the settings', else the one `storage` kept,
    else made up from `rand`; it is kept in `storage` (committed by the caller). Tokens come
    from `tokens_rand` (default: `rand`)."""
    graph_app = GraphApp.from_settings(settings, rand, GraphApp.kept_in(storage))
    graph_app.keep_in(storage)
    app[GRAPH_APP] = graph_app
    app[ACCESS_TOKENS] = AccessTokens(
        settings.access_token_lifetime, (tokens_rand or rand).child("graph-tokens"), storage
    )
    return graph_app


# --- OpenAPI ----------------------------------------------------------------------------------

_STR: JsonObject = {"type": "string"}


def token_operation() -> JsonObject:
    """The token endpoint in the OpenAPI document."""
    oauth_error: JsonObject = {
        "description": "the identity platform's error (RFC 6749 section 5.2)",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/OAuthError"}}},
    }
    return {
        "operationId": "getAccessToken",
        "summary": "An app-only Graph access token by the client-credentials grant",
        "tags": ["identity"],
        "parameters": [{"name": "tenant", "in": "path", "required": True, "schema": _STR}],
        "requestBody": {
            "required": True,
            "content": {FORM: {"schema": {"$ref": "#/components/schemas/TokenRequest"}}},
        },
        "responses": {
            "200": {
                "description": "a bearer token for /beta",
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/TokenResponse"}}
                },
            },
            "400": oauth_error,
            "401": oauth_error,
        },
    }


def identity_schemas() -> dict[str, JsonObject]:
    return {
        "TokenRequest": {
            "type": "object",
            "required": ["grant_type", "client_id", "client_secret", "scope"],
            "properties": {
                "grant_type": {"const": GRANT_TYPE},
                "client_id": {**_STR, "format": "uuid"},
                "client_secret": _STR,
                "scope": {"enum": list(GRAPH_SCOPES)},
            },
        },
        "TokenResponse": {
            "type": "object",
            "required": ["token_type", "expires_in", "access_token"],
            "properties": {
                "token_type": {"const": "Bearer"},
                "expires_in": {"type": "integer"},
                "ext_expires_in": {"type": "integer"},
                "access_token": _STR,
            },
        },
        "OAuthError": {
            "type": "object",
            "required": ["error"],
            "properties": {
                "error": {
                    "enum": [
                        "invalid_request",
                        "invalid_client",
                        "unsupported_grant_type",
                        "invalid_scope",
                        "temporarily_unavailable",
                        "server_error",
                    ]
                },
                "error_description": _STR,
                "error_codes": {"type": "array", "items": {"type": "integer"}},
                "timestamp": _STR,
                "trace_id": {**_STR, "format": "uuid"},
                "correlation_id": {**_STR, "format": "uuid"},
            },
        },
    }


def graph_security_scheme(app: GraphApp) -> JsonObject:
    return {
        "type": "oauth2",
        "description": "app-only tokens by the client-credentials grant (the identity "
        "platform's v2.0 token endpoint, served here)",
        "flows": {
            "clientCredentials": {
                "tokenUrl": app.token_path,
                "scopes": {GRAPH_SCOPES[0]: "Microsoft Graph, the app's permissions"},
            }
        },
    }

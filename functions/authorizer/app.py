"""Lambda authorizer of the admin routes: allows `Authorization: Bearer <admin token>`.

The token lives in Secrets Manager; it is fetched once per warm container and kept for
ADMIN_TOKEN_CACHE_SECONDS, so that a rotated token takes effect within that time.
"""

from typing import Any

from aws_lambda_powertools.utilities import parameters
from aws_lambda_powertools.utilities.typing import LambdaContext

from webhook_fanout.admin_auth import is_admin_authorization
from webhook_fanout.observability import logger, tracer
from webhook_fanout.settings import AuthorizerSettings, load_settings

settings = load_settings(AuthorizerSettings)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    admin_token = parameters.get_secret(
        settings.admin_token_secret_id, max_age=settings.secret_cache_seconds
    )
    header_value = (event.get("headers") or {}).get("authorization")

    authorized = is_admin_authorization(header_value, str(admin_token))
    if not authorized:
        logger.info("admin request refused", route_key=event.get("routeKey"))
    return {"isAuthorized": authorized}

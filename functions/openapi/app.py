"""GET /openapi.json: the API's OpenAPI document.

The document is generated from the models that validate requests
(`python -m local_stack.openapi`) and shipped in the shared layer; a test keeps the
committed copy in step with the code.
"""

from functools import cache
from importlib.resources import files

from aws_lambda_powertools.event_handler import Response, content_types

from webhook_fanout.http_api import create_resolver, lambda_handler_for

app = create_resolver()


@cache
def openapi_text() -> str:
    # Read on first use rather than at import, so that the generator of the document can
    # import this module before the document exists.
    return files("webhook_fanout").joinpath("openapi.json").read_text()


@app.get("/openapi.json", include_in_schema=False)
def openapi_document() -> Response[str]:
    return Response(200, content_types.APPLICATION_JSON, openapi_text())


lambda_handler = lambda_handler_for(app)

import base64
import json

import pytest

from webhook_fanout.errors import InvalidPageToken
from webhook_fanout.page_tokens import decode_page_token, encode_page_token


def test_a_token_round_trips_its_key():
    key = {"id": "webhook-42"}
    assert decode_page_token(encode_page_token(key), key_names=("id",)) == key


def forged_token(payload: object) -> str:
    encoded = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")
    return f"{encoded}.0000000000000000"


@pytest.mark.parametrize(
    "token",
    [
        "",
        "abc",
        "abc.def",
        ".",
        "!!!!.????",
        forged_token({"id": "webhook-42"}),
        encode_page_token({"id": "a"})[:-1],
        encode_page_token({"id": "a"}) + "0",
        "x" + encode_page_token({"id": "a"}),
    ],
)
def test_tokens_this_api_did_not_issue_are_refused(token):
    with pytest.raises(InvalidPageToken):
        decode_page_token(token, key_names=("id",))


def test_a_token_for_another_key_shape_is_refused():
    token = encode_page_token({"webhookId": "a", "sortKey": "b"})
    with pytest.raises(InvalidPageToken):
        decode_page_token(token, key_names=("id",))

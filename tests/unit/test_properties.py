"""Property-based checks: whatever the input, the pure functions fail only in named ways."""

import json

from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from webhook_fanout.delivery_messages import DeliveryMessage
from webhook_fanout.errors import InvalidPageToken, TargetUrlRejected
from webhook_fanout.models import RegisterWebhookRequest, UpdateWebhookRequest
from webhook_fanout.page_tokens import decode_page_token, encode_page_token
from webhook_fanout.retry_policy import MAX_DELAY_SECONDS, parse_retry_after, retry_delay_seconds
from webhook_fanout.url_guard import MAX_TARGET_URL_LENGTH, check_target_address

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
url_like = st.one_of(
    st.text(max_size=80),
    st.builds(
        lambda scheme, host, rest: f"{scheme}://{host}{rest}",
        st.sampled_from(["http", "https", "ftp", "HTTP", ""]),
        st.text(max_size=30),
        st.text(max_size=30),
    ),
)


def no_dns(host: str, port: int) -> list[str]:
    return []


@given(url_like)
def test_the_url_guard_accepts_or_refuses_with_a_reason(url):
    try:
        check_target_address(url, allow_private=False, resolve=no_dns)
    except TargetUrlRejected:
        return
    assert url.lower().startswith(("http://", "https://"))
    assert len(url) <= MAX_TARGET_URL_LENGTH


@given(st.dictionaries(st.sampled_from(["targetUrl", "id", "extra"]), json_values) | json_values)
def test_register_bodies_are_valid_or_refused_by_validation(body):
    try:
        request = RegisterWebhookRequest.model_validate(body)
    except ValidationError:
        return
    assert request.target_url.lower().startswith(("http://", "https://"))


@given(json_values)
def test_update_bodies_are_valid_or_refused_by_validation(body):
    try:
        UpdateWebhookRequest.model_validate(body)
    except ValidationError:
        return
    assert set(body) == {"newTargetUrl"}


@given(st.text())
def test_any_page_token_is_decoded_or_refused(token):
    try:
        key = decode_page_token(token, key_names=("id",))
    except InvalidPageToken:
        return
    assert set(key) == {"id"}


@given(st.dictionaries(st.text(min_size=1, max_size=10), st.text(min_size=1), min_size=1))
def test_page_tokens_round_trip_any_key(key):
    assert decode_page_token(encode_page_token(key), key_names=tuple(key)) == key


@given(st.text() | json_values.map(json.dumps))
def test_any_queue_body_is_read_or_refused(body):
    try:
        message = DeliveryMessage.from_body(body)
    except ValueError:
        return
    assert 1 <= len(message.targets) <= 10


@given(
    st.integers(min_value=1, max_value=1000),
    st.lists(st.integers(min_value=0, max_value=900), min_size=1, max_size=6),
    st.none() | st.floats(min_value=0, max_value=1e9),
)
def test_retry_delays_stay_within_what_sqs_accepts(attempts_made, schedule, retry_after):
    delay = retry_delay_seconds(attempts_made, schedule, retry_after)
    assert 0 <= delay <= MAX_DELAY_SECONDS
    if retry_after is not None:
        assert delay >= min(retry_after, MAX_DELAY_SECONDS)


@given(st.text())
def test_any_retry_after_header_is_read_or_ignored(value):
    seconds = parse_retry_after(value)
    assert seconds is None or seconds >= 0

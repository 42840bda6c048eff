import pytest

from webhook_fanout.admin_auth import is_admin_authorization

TOKEN = "s3cr3t-token-value"


@pytest.mark.parametrize("header", [f"Bearer {TOKEN}", f"bearer {TOKEN}", f"  BEARER  {TOKEN} "])
def test_the_admin_token_is_accepted_with_any_case_of_the_scheme(header):
    assert is_admin_authorization(header, TOKEN)


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        f"Basic {TOKEN}",
        f"Token {TOKEN}",
        TOKEN,
        f"Bearer {TOKEN}x",
        f"Bearer {TOKEN[:-1]}",
        "Bearer wrong",
    ],
)
def test_anything_else_is_refused(header):
    assert not is_admin_authorization(header, TOKEN)


def test_an_empty_configured_token_never_authorizes():
    assert not is_admin_authorization("Bearer ", "")

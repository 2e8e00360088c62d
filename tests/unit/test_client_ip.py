"""X-Forwarded-For counts only from trusted proxies."""

from entrypoints.http.client_ip import client_ip, parse_networks

TRUSTED = parse_networks(["10.0.0.0/8", "127.0.0.1"])


def test_untrusted_peer_header_is_ignored() -> None:
    assert client_ip("203.0.113.9", "1.2.3.4", TRUSTED) == "203.0.113.9"


def test_trusted_peer_gives_the_first_untrusted_hop_from_the_right() -> None:
    # A client may prepend anything; only what our proxies appended is believed.
    assert client_ip("10.0.0.2", "6.6.6.6, 198.51.100.7, 10.0.0.3", TRUSTED) == "198.51.100.7"


def test_no_header_or_no_trusted_proxies_gives_the_peer() -> None:
    assert client_ip("10.0.0.2", None, TRUSTED) == "10.0.0.2"
    assert client_ip("10.0.0.2", "1.2.3.4", ()) == "10.0.0.2"


def test_a_chain_of_only_trusted_hops_gives_the_leftmost() -> None:
    assert client_ip("127.0.0.1", "10.1.1.1, 10.2.2.2", TRUSTED) == "10.1.1.1"


def test_garbage_in_the_header_is_not_trusted() -> None:
    assert client_ip("10.0.0.2", "not-an-ip", TRUSTED) == "not-an-ip"

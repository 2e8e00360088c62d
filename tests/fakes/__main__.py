"""Serve the fake WhatsApp Graph API on loopback: ``PYTHONPATH=tests .venv/bin/python -m fakes``."""

from __future__ import annotations

import argparse
import contextlib

from fakes.graph_api import FakeGraphApi


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve the fake WhatsApp Graph API on loopback.")
    parser.add_argument("--port", type=int, default=8089)
    parser.add_argument("--token", default="test-token")
    parser.add_argument("--phone-number-id", default="1234567890")
    parser.add_argument("--app-secret", default="fake-app-secret")
    parser.add_argument("--messages-per-second", type=float, default=None)
    args = parser.parse_args()
    graph = FakeGraphApi(
        access_token=args.token,
        phone_number_id=args.phone_number_id,
        app_secret=args.app_secret,
        messages_per_second=args.messages_per_second,
        port=args.port,
    )
    with graph:
        print(f"fake Graph API on {graph.url} (Ctrl-C stops it)", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            graph.wait_stopped()


main()

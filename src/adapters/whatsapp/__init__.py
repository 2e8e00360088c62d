"""WhatsApp Cloud API: the MessageChannel over httpx, webhook signature checks and status parsing.

Graph API payloads are msgspec Structs inside this package; nothing outside it sees them.
"""

"""AccessTokens that remember verified claims: a bounded LRU in front of another AccessTokens.

Verifying an HS256 token with PyJWT costs tens of microseconds (an EdDSA or ES256 one more), and
a client presents the same access token on every request for its whole lifetime (15 minutes by
default), while the rate limiter and the authentication of one request each verify it. So the
claims of a token that verified are kept, keyed by the SHA-256 digest of the token (the token
itself is never kept), until the token's ``exp``. What stays safe:

- Only successes are kept: a forged, tampered, unknown-``kid`` or expired token goes to the inner
  verifier every time and is refused by it. A different token, even by one byte, is another key.
- An entry is served only before the token's ``exp``; from then on the inner verifier decides
  again (the leeway, then TOKEN_EXPIRED), exactly as without the cache.
- Revocation is not this layer's business and is not skipped: ``Authenticate`` checks the
  token's session, the user and their memberships on every request, after this.
- The key ring is fixed for the life of a process, so a key retired from it (a restart) cannot
  leave a verified token behind; the cache is per process and empty at start.
- Bounded: past ``max_entries`` the least recently used entry goes; ``max_entries=0`` keeps none.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from uuid import UUID

from application.ports.clock import Clock
from application.ports.security import AccessTokens, IssuedToken, TokenClaims


class CachedAccessTokens(AccessTokens):
    """AccessTokens over another AccessTokens, with verified claims cached by token digest."""

    def __init__(self, inner: AccessTokens, clock: Clock, *, max_entries: int = 10_000) -> None:
        self._inner = inner
        self._clock = clock
        self._max_entries = max_entries
        self._entries: OrderedDict[bytes, TokenClaims] = OrderedDict()
        # Servers may call from more than one thread (a threaded runtime); a read-and-reorder
        # must not interleave with an eviction.
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def issue(
        self, user_id: UUID, *, session_id: UUID | None = None, ttl_minutes: int | None = None
    ) -> IssuedToken:
        return self._inner.issue(user_id, session_id=session_id, ttl_minutes=ttl_minutes)

    def verify(self, token: str) -> TokenClaims:
        key = hashlib.sha256(token.encode()).digest()
        now = self._clock.now()
        with self._lock:
            claims = self._entries.get(key)
            if claims is not None:
                if now < claims.expires_at:
                    self._entries.move_to_end(key)
                    return claims
                del self._entries[key]
        claims = self._inner.verify(token)  # raises for anything not valid now: nothing is kept
        if self._max_entries > 0 and now < claims.expires_at:
            with self._lock:
                self._entries[key] = claims
                self._entries.move_to_end(key)
                while len(self._entries) > self._max_entries:
                    self._entries.popitem(last=False)
        return claims

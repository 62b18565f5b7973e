"""The one HMAC scheme, of signed public-key requests and of webhook deliveries alike:

    X-DZ-Signature = hex(hmac_sha256(secret, timestamp + "." + hex(sha256(raw_body))))

``timestamp`` is the ``X-DZ-Timestamp`` header exactly as sent (unix seconds), the HMAC key is the secret's UTF-8
bytes, and the body is the raw bytes (before any JSON parsing). Webhook deliveries are signed with it and signed
tracking requests are verified with it, so merchants sign and verify with one piece of code.
"""

from __future__ import annotations

import hashlib
import hmac


def body_digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The hex signature of ``body`` sent at ``timestamp``."""
    message = f"{timestamp}.{body_digest(body)}".encode("ascii")
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()

"""Sealing the second-factor secrets that allauth keeps in the database.

AES-256-GCM with a fresh 96-bit nonce per value, under a key derived with HKDF-SHA256 from
settings.MFA_ENCRYPTION_KEY; a database dump alone gives no usable TOTP secret. Values sealed
under a key listed in MFA_ENCRYPTION_KEY_FALLBACKS still open, so the key can be rotated.
"""

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

PREFIX = "v1$"
NONCE_BYTES = 12  # the GCM standard nonce size (NIST SP 800-38D)
HKDF_INFO = b"leakcase:mfa-secret:v1"
# Binds a sealed value to its use: it cannot be swapped in for another kind of secret.
ASSOCIATED_DATA = b"allauth.mfa"


def _key(secret: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=HKDF_INFO).derive(
        secret.encode()
    )


def seal(text: str) -> str:
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(_key(settings.MFA_ENCRYPTION_KEY)).encrypt(
        nonce, text.encode(), ASSOCIATED_DATA
    )
    return PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")


def unseal(value: str) -> str:
    if not value.startswith(PREFIX):
        raise ValueError("Not a sealed second-factor secret")
    raw = base64.urlsafe_b64decode(value[len(PREFIX) :])
    nonce, sealed = raw[:NONCE_BYTES], raw[NONCE_BYTES:]
    for secret in (settings.MFA_ENCRYPTION_KEY, *settings.MFA_ENCRYPTION_KEY_FALLBACKS):
        try:
            return AESGCM(_key(secret)).decrypt(nonce, sealed, ASSOCIATED_DATA).decode()
        except InvalidTag:
            continue
    raise ValueError("No configured key opens this second-factor secret")

"""The API key in the OS keychain (keyring), with a session-only fallback.

When no keychain exists the key can live in memory for this session; it is
never written to a file as a fallback.
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger("videostudio.services")

SERVICE = "videostudio"
ACCOUNT = "openrouter-api-key"


def _keyring() -> Any:
    """keyring, imported on first use: finding its backends takes ~0.2 s, off the UI thread."""
    import keyring
    import keyring.errors

    return keyring


class KeychainUnavailableError(RuntimeError):
    """No usable OS keychain; the message says so in words for the user."""


class KeyStore:
    """Reads, stores and removes the OpenRouter API key.

    Calls may block on D-Bus: the UI calls them off its thread.
    """

    def __init__(self, service: str = SERVICE, account: str = ACCOUNT) -> None:
        self._service = service
        self._account = account
        self._session_key: str | None = None

    @property
    def session_only(self) -> bool:
        return self._session_key is not None

    def get(self) -> str | None:
        if self._session_key is not None:
            return self._session_key
        keyring = _keyring()
        try:
            return keyring.get_password(self._service, self._account)  # type: ignore[no-any-return]
        except keyring.errors.KeyringError as exc:
            raise KeychainUnavailableError(_unavailable(exc)) from None

    def set(self, key: str) -> None:
        key = key.strip()
        if not key:
            raise ValueError("The API key is empty.")
        keyring = _keyring()
        try:
            keyring.set_password(self._service, self._account, key)
            kept = keyring.get_password(self._service, self._account)
        except keyring.errors.KeyringError as exc:
            raise KeychainUnavailableError(_unavailable(exc)) from None
        if kept != key:  # a keychain that accepts and forgets (keyring's null backend)
            raise KeychainUnavailableError(_unavailable(RuntimeError("not kept")))
        self._session_key = None

    def set_for_session(self, key: str) -> None:
        """Keep the key in memory only, until the app quits."""
        self._session_key = key.strip() or None

    def delete(self) -> None:
        self._session_key = None
        keyring = _keyring()
        try:
            keyring.delete_password(self._service, self._account)
        except keyring.errors.PasswordDeleteError:
            pass  # nothing stored: already removed
        except keyring.errors.KeyringError as exc:
            raise KeychainUnavailableError(_unavailable(exc)) from None


def _unavailable(exc: Exception) -> str:
    log.info("keychain unavailable: %s", type(exc).__name__)
    return (
        "No system keychain is available (is a Secret Service such as GNOME Keyring or "
        "KWallet running?). You can use a key for this session only."
    )

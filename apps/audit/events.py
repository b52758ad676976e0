"""Registry of business event types. Each app registers its own in its `events.py` at import.

An event type is "<app>.<what_happened>"; the label is what the history page shows.
"""

from __future__ import annotations

_REGISTRY: dict[str, str] = {}


def register(code: str, label: str) -> str:
    if "." not in code:
        raise ValueError(f"event type {code!r} must be '<app>.<event>'")
    _REGISTRY[code] = label
    return code


def is_registered(code: str) -> bool:
    return code in _REGISTRY


def label_of(code: str) -> str:
    return _REGISTRY.get(code, code)


def all_types() -> dict[str, str]:
    return dict(sorted(_REGISTRY.items()))


# Events of the foundation itself.
USER_LOGGED_IN = register("accounts.logged_in", "登录")
USER_LOGIN_FAILED = register("accounts.login_failed", "登录失败")

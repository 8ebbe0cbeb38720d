"""Passwords: the policy, argon2id hashing through pwdlib, bcrypt hashes of earlier versions
still verified (and replaced by argon2 at the next successful login), one-time passwords.

Hashing is slow on purpose and runs in the caller's thread: the routes that log in or change
passwords are plain `def` routes, which FastAPI runs in its threadpool, never on the event loop.
At most `MAX_CONCURRENT_HASHES` hashes run at once per process (each takes ~19 MiB)."""

from __future__ import annotations

import secrets
import threading
from functools import cache

from pwdlib import PasswordHash
from pwdlib.exceptions import UnknownHashError
from pwdlib.hashers.argon2 import Argon2Hasher
from pwdlib.hashers.bcrypt import BcryptHasher

from copilot.errors import AuthError

MIN_CHARS = 10
MAX_CHARS = 128
MIN_DISTINCT = 4
MAX_CONCURRENT_HASHES = 4
# OWASP's argon2id configuration (m=19 MiB, t=2, p=1): ~0.1 s per hash on one core here.
# Changing these re-hashes each password at its owner's next login (check_needs_rehash).
_ARGON2 = Argon2Hasher(time_cost=2, memory_cost=19456, parallelism=1)
_HASHER = PasswordHash((_ARGON2, BcryptHasher()))  # the first hashes, both verify
_SLOTS = threading.BoundedSemaphore(MAX_CONCURRENT_HASHES)

# Refused whatever the other rules say: the most common passwords of 10+ characters in leaked
# lists (Chinese sites included) and the product's own name.
COMMON_PASSWORDS = frozenset(
    {
        "0123456789",
        "1234567890",
        "12345678910",
        "123456789a",
        "a123456789",
        "aa12345678",
        "abc1234567",
        "abcd123456",
        "abcdefghij",
        "1qaz2wsx3edc",
        "1q2w3e4r5t",
        "1q2w3e4r5t6y",
        "qwertyuiop",
        "qwerty1234",
        "qwe1234567",
        "asdfghjkl1",
        "zxcvbnm123",
        "password12",
        "password123",
        "password1234",
        "passw0rd123",
        "p@ssw0rd123",
        "iloveyou12",
        "iloveyou123",
        "woaini1314",
        "woaini520520",
        "5201314520",
        "1314520520",
        "admin12345",
        "admin123456",
        "administrator",
        "welcome123",
        "changeme123",
        "pharmacy123",
        "copilot123",
        "yaofang123",
    }
)


def check_policy(password: str, *, username: str | None = None) -> None:
    """Raise AuthError (in Chinese, with the rule) when the password may not be used."""
    if len(password) < MIN_CHARS:
        raise AuthError(
            f"密码至少需要{MIN_CHARS}个字符（passwords need at least {MIN_CHARS} characters）"
        )
    if len(password) > MAX_CHARS:
        raise AuthError(
            f"密码过长：最多{MAX_CHARS}个字符（passwords may be at most {MAX_CHARS} characters）"
        )
    if len(set(password)) < MIN_DISTINCT:
        raise AuthError(
            f"密码过于简单：至少需要{MIN_DISTINCT}个不同的字符"
            f"（at least {MIN_DISTINCT} different characters）"
        )
    folded = password.strip().lower()
    if username and folded in (username.strip().lower(), username.strip().lower()[::-1]):
        raise AuthError("密码不能与用户名相同，请换一个（the password may not be the username）")
    if folded in COMMON_PASSWORDS:
        raise AuthError("这是常见密码，容易被猜中，请换一个（a common password: choose another）")


def hash_password(password: str, *, username: str | None = None) -> str:
    """The policy, then an argon2id hash."""
    check_policy(password, username=username)
    with _SLOTS:
        return _HASHER.hash(password)


def verify_password(password: str, hashed: str) -> tuple[bool, str | None]:
    """(matches, new hash or None). A new hash is returned when the stored one is bcrypt or
    argon2 with other parameters; the caller stores it. Never raises on odd input."""
    if len(password) > MAX_CHARS:
        return False, None
    try:
        with _SLOTS:
            return _HASHER.verify_and_update(password, hashed)
    except (UnknownHashError, ValueError):  # bcrypt refuses over 72 bytes; a broken hash
        return False, None


def check_password(password: str, hashed: str) -> bool:
    return verify_password(password, hashed)[0]


@cache
def _dummy_hash() -> str:
    with _SLOTS:
        return _HASHER.hash(secrets.token_urlsafe(16))


def burn_time(password: str) -> None:
    """The work of a wrong password, for an unknown username (no user enumeration by timing)."""
    verify_password(password, _dummy_hash())


def one_time_password() -> str:
    """A random password for a new or reset account, shown once; its owner must change it."""
    while True:
        candidate = secrets.token_urlsafe(12)  # 16 characters, 96 bits
        try:
            check_policy(candidate)
        except AuthError:
            continue
        return candidate

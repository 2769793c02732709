"""What a new password must be: long enough, not too long, and not guessable.

A password is refused when it is shorter than ``MIN_PASSWORD`` or longer than ``MAX_PASSWORD``
characters (argon2 hashes any length, but a megabyte of password is a denial of service, not a
secret), or when a guesser would find it early. "Early" is judged by a small estimate written out
here, in the spirit of zxcvbn (Wheeler, USENIX Security 2016), not by the character classes used:

1. the password, lower-cased and with common letter substitutions undone (``p@ssw0rd`` →
   ``password``), is stripped of leading and trailing digits and punctuation (``password12`` →
   ``password``); what is left must not be empty, nor one of the common passwords and words below,
   nor the user name;
2. what is left must not be a run (``abcdefghij``, ``0987654321``), a walk along a keyboard row
   (``azertyuiop``, ``qwertyuiop``, ``1q2w3e4r5t``), nor one short piece repeated (``abcabcabca``);
3. the password must hold at least ``MIN_DISTINCT`` different characters and an estimated
   ``MIN_BITS`` bits (length × log2 of the alphabet its character classes span, the alphabet
   counted only for the distinct characters actually used).

Spaces are characters like any other: a pass phrase of four words passes; ten spaces do not.

>>> [problem("correct horse battery staple"), problem("ten spaces".replace("ten spaces", " " * 10)) is not None]
[None, True]
>>> problem("Password12"), problem("aaaaaaaaaa") is not None, problem("x" * 200) is not None
('common', True, True)
"""

from __future__ import annotations

import math
import re
import string
from itertools import pairwise

__all__ = ["MAX_PASSWORD", "MIN_BITS", "MIN_DISTINCT", "MIN_PASSWORD", "problem"]

MIN_PASSWORD = 10
MAX_PASSWORD = 128
MIN_DISTINCT = 5
MIN_BITS = 40.0

# Passwords and words at the top of every published list of leaked passwords (English and French),
# and the words people build passwords on. Compared after step 1 above.
COMMON = frozenset(["password", "passwords", "passw0rd", "motdepasse", "motdepass", "mdp", "secret", "secrets", "letmein", "welcome", "welcome1", "bienvenue", "admin", "administrator", "administrateur", "root", "toor", "user", "utilisateur", "login", "connexion", "guest", "invite", "test", "testing", "qwerty", "qwertyuiop", "qwertz", "azerty", "azertyuiop", "azertyui", "asdfgh", "asdfghjkl", "qsdfgh", "qsdfghjklm", "zxcvbn", "wxcvbn", "iloveyou", "jetaime", "jetaimeplus", "teamo", "loveyou", "amour", "monamour", "lovely", "princess", "princesse", "prince", "dragon", "monkey", "football", "soccer", "baseball", "basketball", "hockey", "tennis", "rugby", "marseille", "paris", "lyon", "lille", "nicolas", "thomas", "julien", "camille", "chocolat", "soleil", "bonjour", "bonsoir", "doudou", "chouchou", "loulou", "coucou", "nounours", "sunshine", "shadow", "master", "superman", "batman", "starwars", "pokemon", "naruto", "matrix", "trustno1", "freedom", "whatever", "abc", "abcd", "abcdef", "abcdefg", "abcdefgh", "azertyqsdf", "changeme", "changeit", "default", "temoin", "temoins", "contrat", "impact", "social", "sociale", "hello", "helloworld", "bonjour123", "pass", "pass123", "passe", "passer", "service", "public", "mairie", "departement", "region", "nord", "france", "europe"])
_SUBSTITUTIONS = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s",
                                "!": "i", "€": "e"})
_EDGES = string.digits + string.punctuation + " "
_ROWS = ("azertyuiop", "qsdfghjklm", "wxcvbn", "qwertyuiop", "asdfghjkl", "zxcvbnm", "qwertzuiop", "yxcvbnm",
         "1234567890", "1q2w3e4r5t6y7u8i9o0p", "1a2z3e4r5t6y7u8i9o0p", "qazwsxedcrfvtgbyhnujmikolp",
         "azqswxdecfrvgtbhynjukilomp", "abcdefghijklmnopqrstuvwxyz", "0123456789")


def _core(password: str) -> str:
    return password.lower().strip(_EDGES).translate(_SUBSTITUTIONS).strip(_EDGES)


def _is_walk(text: str) -> bool:
    """A run of three or more characters along a row, forwards or backwards, covering the text."""
    if len(text) < 3:
        return False
    for row in _ROWS:
        for seq in (row, row[::-1]):
            if text in seq or text in seq * 2:
                return True
    steps = {ord(b) - ord(a) for a, b in pairwise(text)}
    return len(steps) == 1 and abs(next(iter(steps))) <= 1


def _is_repeat(text: str) -> bool:
    return bool(re.fullmatch(r"(.{1,5}?)\1+.{0,4}", text))


def _bits(password: str) -> float:
    pool = 0
    classes = (string.ascii_lowercase, string.ascii_uppercase, string.digits, " ", string.punctuation)
    for chars in classes:
        if any(c in chars for c in password):
            pool += len(chars)
    others = {c for c in password if not any(c in chars for chars in classes)}
    pool += 100 * bool(others)  # accented and other letters
    distinct = len(set(password))
    return len(password) * math.log2(max(2, min(pool, distinct * 4)))


def problem(password: str, *, username: str = "") -> str | None:
    """Why the password is refused (``short``, ``long``, ``common``, ``pattern``, ``weak``), or None."""
    if len(password) < MIN_PASSWORD:
        return "short"
    if len(password) > MAX_PASSWORD:
        return "long"
    core = _core(password)
    name = _core(username) if username else ""
    if not core or core in COMMON or (name and (core == name or (name in core and len(core) - len(name) < 4))):
        return "common"
    squeezed = core.replace(" ", "")
    if _is_walk(squeezed) or _is_repeat(squeezed) or _is_walk(password.lower()):
        return "pattern"
    if len(set(password)) < MIN_DISTINCT or _bits(password) < MIN_BITS:
        return "weak"
    return None

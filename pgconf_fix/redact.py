"""Passwords out of anything printed: URI user information, key=value and JDBC ``password=``.

A safety net for reporters; messages are written not to carry passwords in the
first place. Files are never touched: a fix or a diff shows them as they are.
"""

from __future__ import annotations

import re

MASK = "***"
# scheme://user:password@ — the password runs to the first "@" (libpq and SQLAlchemy agree).
_USERINFO = re.compile(r"(?P<head>\b[A-Za-z][A-Za-z0-9+.\-]*:(?://)?[^\s/@:'\"`]*:)(?P<secret>[^\s@'\"`]+)(?=@)")
# password=..., sslpassword=..., PASSWORD=... in key=value strings and URL or JDBC queries.
_KEYWORD = re.compile(
    r"(?P<head>(?<![A-Za-z0-9])(?:ssl)?pass(?:word|wd)?[ \t]*=[ \t]*)"
    r"(?P<secret>'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|[^\s&;'\"`,)]+)",
    re.IGNORECASE,
)


def redact(text: str) -> str:
    """``text`` with every password it recognises replaced by ``***``."""
    text = _USERINFO.sub(lambda m: m.group("head") + MASK, text)
    return _KEYWORD.sub(lambda m: m.group("head") + MASK, text)

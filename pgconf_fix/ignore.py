"""gitignore-style patterns: ``*``, ``?``, ``[..]``, ``**``, a trailing ``/``, a leading ``/`` or ``!``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Pattern:
    base: Path
    regex: re.Pattern[str]
    negated: bool
    directory_only: bool
    anchored: bool


def _translate(glob: str) -> str:
    out = []
    i = 0
    while i < len(glob):
        if glob.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif glob.startswith("/**", i) and i + 3 == len(glob):
            out.append("/.*")
            i += 3
        elif glob.startswith("**", i):
            out.append(".*")
            i += 2
        elif glob[i] == "*":
            out.append("[^/]*")
            i += 1
        elif glob[i] == "?":
            out.append("[^/]")
            i += 1
        elif glob[i] == "[":
            close = glob.find("]", i + 1)
            if close == -1:
                out.append(re.escape(glob[i]))
                i += 1
            else:
                body = glob[i + 1 : close].replace("\\", "\\\\")
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append(f"[{body}]")
                i = close + 1
        elif glob[i] == "\\" and i + 1 < len(glob):
            out.append(re.escape(glob[i + 1]))
            i += 2
        else:
            out.append(re.escape(glob[i]))
            i += 1
    return "".join(out)


def parse_pattern(line: str, base: Path) -> Pattern | None:
    text = line.rstrip("\n").rstrip("\r")
    if not text.strip() or text.startswith("#"):
        return None
    text = text.rstrip(" ")
    negated = text.startswith("!")
    if negated:
        text = text[1:]
    directory_only = text.endswith("/")
    text = text.rstrip("/")
    anchored = "/" in text
    text = text.lstrip("/")
    if not text:
        return None
    return Pattern(base, re.compile(_translate(text) + r"\Z"), negated, directory_only, anchored)


class IgnoreRules:
    """Patterns collected from the command line, the config and .gitignore files."""

    def __init__(self, patterns: list[Pattern] | None = None) -> None:
        self.patterns = patterns or []

    def extended(self, patterns: list[Pattern]) -> IgnoreRules:
        return IgnoreRules(self.patterns + patterns) if patterns else self

    def ignored(self, path: Path, is_dir: bool) -> bool:
        result = False
        for pattern in self.patterns:
            if pattern.directory_only and not is_dir:
                continue
            try:
                relative = path.relative_to(pattern.base).as_posix()
            except ValueError:
                continue
            subject = relative if pattern.anchored else path.name
            if pattern.regex.match(subject):
                result = not pattern.negated
        return result


def read_ignore_file(path: Path) -> list[Pattern]:
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []
    return [p for p in (parse_pattern(line, path.parent) for line in lines) if p is not None]

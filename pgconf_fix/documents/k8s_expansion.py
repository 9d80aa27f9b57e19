"""Kubernetes' expansion of ``$(VAR)`` in a container's ``command``, ``args`` and ``env`` values.

The kubelet expands each string before the container starts (the API reference of
``Container.args``: "Variable references $(VAR_NAME) are expanded using the container's
environment. If a variable cannot be resolved, the reference in the input string will be
unchanged. Double $$ are reduced to a single $, which allows for escaping the $(VAR_NAME)
syntax"). The algorithm read here is Kubernetes' own
(``third_party/forked/golang/expansion/expand.go``, ``Expand`` and ``tryReadVariableName``):
scanning left to right, a ``$`` followed by ``$`` gives one ``$``; a ``$`` followed by ``(``
and, somewhere later, ``)`` is a reference to the name between them (any characters); any
other ``$`` (the last character, or one before another character, an unclosed ``$(``
included) is kept with the character after it, which is not read again. (Kubernetes copies
that character as one byte turned into a rune, so a non-ASCII character there comes out
mangled; that is not modelled.)

What the container's environment holds (``ContainerEnvironment``), as the kubelet builds it
(``makeEnvironmentVariables``): ``envFrom`` first, then each ``env`` item in order, a later
item of the same name replacing an earlier one; an item's ``value`` is itself expanded with
the items before it (and the service variables); ``valueFrom`` (a secret, a config map, a
field) and anything ``envFrom`` may bring are not known here, nor are the service link
variables (``<NAME>_SERVICE_HOST``, ``<NAME>_PORT`` ...) unless ``enableServiceLinks: false``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from pgconf_fix.documents.compose_interpolation import PLACEHOLDER

# What a reference to a variable whose value is not known here expands to: a character no
# manifest means (the compose reader's placeholder), which the views take as markup.
UNKNOWN_VALUE = PLACEHOLDER


@dataclass(frozen=True)
class Expanded:
    """A string as the kubelet passes it on (``text``), the names it replaced, in order, and
    the names of references it kept as written (the container has no such variable)."""

    text: str
    names: tuple[str, ...]
    kept: tuple[str, ...] = ()


# Linux's longest argument or environment string, its terminating NUL included (MAX_ARG_STRLEN,
# include/uapi/linux/binfmts.h: 32 pages of 4 KiB): execve refuses a longer one (E2BIG).
MAX_ARG_STRLEN = 131072


def expand(text: str, lookup: Callable[[str], str | None]) -> Expanded:
    """``text`` expanded as Kubernetes expands it. ``lookup(name)`` gives a variable's value
    (``UNKNOWN_VALUE`` when it is not known here), or None when the container has no such
    variable: the reference is then kept as written. A value that would make the text longer
    than an argument may be (``MAX_ARG_STRLEN``) is taken as ``UNKNOWN_VALUE``: the container
    would not start with it, and references that double a value at each step would otherwise
    build gigabytes."""
    out: list[str] = []
    room = MAX_ARG_STRLEN - 1 - len(text)
    names: list[str] = []
    kept: list[str] = []
    checkpoint = 0
    cursor = 0
    while cursor < len(text):
        if text[cursor] == "$" and cursor + 1 < len(text):
            out.append(text[checkpoint:cursor])
            following = text[cursor + 1]
            if following == "$":
                out.append("$")
                advance = 1
            elif following == "(" and (close := text.find(")", cursor + 2)) != -1:
                name = text[cursor + 2:close]
                value = lookup(name)
                if value is None:
                    out.append(f"$({name})")
                    kept.append(name)
                else:
                    if len(value) > room:
                        value = UNKNOWN_VALUE
                    room -= len(value)
                    out.append(value)
                    names.append(name)
                advance = close - cursor
            else:
                out.append("$" + following)
                advance = 1
            cursor += advance
            checkpoint = cursor + 1
        cursor += 1
    out.append(text[checkpoint:])
    return Expanded("".join(out), tuple(names), tuple(kept))


# The variables a service link defines (pkg/kubelet/envvars: <NAME>_SERVICE_HOST,
# <NAME>_SERVICE_PORT[_<PORT NAME>], <NAME>_PORT[_<PORT>_<PROTO>[_PROTO|_PORT|_ADDR]]).
SERVICE_VARIABLE = re.compile(r"[A-Z0-9_]+_(?:SERVICE_HOST|SERVICE_PORT(?:_[A-Z0-9_]+)?|PORT(?:_[A-Z0-9_]+)?)")


# Variable names that hold secrets, by the words the redaction of messages looks for too.
# and the names of keys and other credentials that no carrier shows (API_KEY, DB_PWD, BASIC_AUTH,
# DB_CREDS).
SECRET_NAME = re.compile(r"pass|pwd|secret|token|cred|private|key|auth", re.IGNORECASE)

# The variables of the default namespace's ``kubernetes`` Service, which the kubelet adds even
# with ``enableServiceLinks: false`` (pkg/kubelet/kubelet_pods.go, getServiceEnvVarMap: "We
# always want to add environment variables for master services").
MASTER_SERVICE_PREFIX = "KUBERNETES_"


@dataclass
class ContainerEnvironment:
    """The variables of one container that ``$(NAME)`` may read: ``known`` maps a name to its
    value and the file offset of the ``env`` item that gives it; ``unknown`` names have a value
    not known here; ``open``: ``envFrom`` may define any other name; ``service_links``: the
    pod's service variables exist (the default)."""

    known: dict[str, tuple[str, int]] = field(default_factory=dict)
    unknown: set[str] = field(default_factory=set)
    open: bool = False
    service_links: bool = True

    def lookup(self, name: str) -> str | None:
        """``name``'s value (``UNKNOWN_VALUE`` when not known here); None when the container
        has no such variable."""
        if name in self.known:
            return self.known[name][0]
        if name in self.unknown or self.open:
            return UNKNOWN_VALUE
        if (self.service_links or name.startswith(MASTER_SERVICE_PREFIX)) and SERVICE_VARIABLE.fullmatch(name):
            return UNKNOWN_VALUE
        return None

    def define(self, name: str, value: str | None, offset: int) -> None:
        """An ``env`` item, in order: ``value`` as written (None: from ``valueFrom``), expanded
        with the variables defined before it. The value of a variable whose name says it holds
        a secret (``POSTGRES_PASSWORD``, ``API_TOKEN``) is taken as not known, so that it never
        reaches a message."""
        self.known.pop(name, None)
        self.unknown.discard(name)
        if SECRET_NAME.search(name):
            value = None
        expanded = expand(value, self.lookup).text if value is not None else UNKNOWN_VALUE
        if UNKNOWN_VALUE in expanded:
            self.unknown.add(name)
        else:
            self.known[name] = (expanded, offset)

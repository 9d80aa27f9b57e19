"""Verifier: every compose ``command:`` and ``entrypoint:`` string an edit changed still reads, as
compose interpolates and splits it, as the same command with only its setting flags changed or added.

compose interpolates the string (pgconf_fix.documents.compose_interpolation: ``$$`` is ``$``, a
variable's value is unknown), then splits it with go-shellwords (pgconf_fix.documents.shellwords).
An edited string is refused when compose can no longer interpolate it, when go-shellwords now
refuses it, when it now stops reading at a
``; & | < >`` somewhere else than before (or with another rest of the string after it: words
added after such a stop are dropped by compose), or when an argument other than a setting flag
(``-c name=value``, ``-cname=value``, ``--name=value``) changed, went or came. A command that was
already refused before the edit is not held against it; neither is a list command, whose items
compose takes as they are (the YAML verifier reads those).
"""

from __future__ import annotations

from pgconf_fix.documents.compose_interpolation import InvalidInterpolation, interpolate
from pgconf_fix.documents.shellwords import UnsplittableCommand, split_command
from pgconf_fix.text_memo import TextMemo
from pgconf_fix.verify import Trial


def _loader():  # -> a yaml.SafeLoader subclass, made when first needed
    """PyYAML's safe loader taking compose's own tags (compose-go ``loader/reset.go``): a
    ``!reset`` value as none (compose drops it), an ``!override`` one as the node it marks. The
    safe loader refuses an unknown tag, which left every command of such a file unverified."""
    import yaml

    class ComposeLoader(yaml.SafeLoader):
        pass

    def tagged(loader: ComposeLoader, tag: str, node: yaml.Node) -> object:
        if tag == "!reset":
            return None  # compose drops the value it marks
        if isinstance(node, yaml.ScalarNode):
            return loader.construct_scalar(node)
        if isinstance(node, yaml.SequenceNode):
            return loader.construct_sequence(node, deep=True)
        return loader.construct_mapping(node, deep=True)

    for tag in ("!reset", "!override"):
        ComposeLoader.add_constructor(tag, lambda loader, node, tag=tag: tagged(loader, tag, node))
    return ComposeLoader


_LOADER: list[type] = []


def _string_commands(text: str) -> dict[tuple[int, str, str], str] | None:
    """``(document index, service name, field) -> string`` for each compose service's string
    ``command`` and ``entrypoint``; None when the text does not load as YAML."""
    import yaml

    if not _LOADER:
        _LOADER.append(_loader())
    found: dict[tuple[int, str], str] = {}
    try:
        documents = list(yaml.load_all(text, Loader=_LOADER[0]))  # a SafeLoader subclass
    except Exception:  # noqa: BLE001 - any loader failure: the YAML verifier says why
        return None
    for index, document in enumerate(documents):
        services = document.get("services") if isinstance(document, dict) else None
        if not isinstance(services, dict):
            continue
        for name, service in services.items():
            for field in ("command", "entrypoint"):
                command = service.get(field) if isinstance(service, dict) else None
                if isinstance(command, str):
                    found[(index, str(name), field)] = command
    return found


_COMMANDS = TextMemo(_string_commands)


def other_arguments(arguments: list[str]) -> list[str]:
    """The arguments that are not a server setting flag (``-c name=value`` as two arguments or
    one, ``--name=value``), in order."""
    kept = []
    index = 0
    while index < len(arguments):
        argument = arguments[index]
        if argument == "-c" and index + 1 < len(arguments) and "=" in arguments[index + 1]:
            index += 2
            continue
        if argument.startswith(("-c", "--")) and "=" in argument:
            index += 1
            continue
        kept.append(argument)
        index += 1
    return kept


def command_change_problem(old: str, new: str) -> str | None:
    """Why compose reads the edited command ``new`` otherwise than as ``old`` with only its
    setting flags changed or added; None when it does not (or ``old`` was already refused)."""
    try:
        old = interpolate(old).text
        before = split_command(old)
    except (InvalidInterpolation, UnsplittableCommand):
        return None
    try:
        new = interpolate(new).text
    except InvalidInterpolation as exc:
        return f"compose can no longer interpolate it: {exc}"
    try:
        after = split_command(new)
    except UnsplittableCommand as exc:
        return f'go-shellwords now refuses it ("invalid command line string"): {exc}'
    if after.stop is not None and (before.stop is None or new[after.stop.offset :] != old[before.stop.offset :]):
        return (
            f"go-shellwords now stops at the {after.stop.char!r} at character {after.stop.offset + 1}: "
            "compose would drop what follows"
        )
    if after.stop is None and before.stop is not None:
        return f"the {before.stop.char!r} go-shellwords stopped at is gone: compose would run what followed it"
    if other_arguments(after.values) != other_arguments(before.values):
        return "an argument other than a setting flag changed"
    return None


def compose_commands_split(trial: Trial) -> str | None:
    """Each changed string ``command:`` of a compose service, split as compose does."""
    if "command" not in trial.new and "entrypoint" not in trial.new:
        return None
    old, new = _COMMANDS(trial.old), _COMMANDS(trial.new)
    if old is None or new is None:
        return None
    for key, command in new.items():
        before = old.get(key)
        if before is None or before == command:
            continue
        problem = command_change_problem(before, command)
        if problem is not None:
            return f"the {key[2]} of compose service {key[1]}: {problem}"
    return None

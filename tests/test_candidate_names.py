"""Which file names discovery offers each layer: string tests standing in for fnmatch must
answer exactly as ``fnmatch.fnmatchcase`` does on the same globs (issue 18: compiling the
tables' regular expressions was part of every one-file run)."""

from __future__ import annotations

import fnmatch

from pgconf_fix.discovery import CANDIDATES, _NameTest, candidate

NAMES = (
    "postgresql.conf", "postgresql.conf.bak", ".conf", "conf", "main.tf", "main.tf.json", "x.json", "pgbouncer.ini",
    "a.yml", "a.YML", "a.Yml", "a.yaml", "m.sql", "m.SQL", "m.Sql", "db.py", "db.pyc", ".env", ".env.local", ".env.",
    ".envrc", "x.env", "env", "env.sample", "env.example", "app.sample", "Procfile", "Procfile.web", "Procfile.",
    "procfile", "Dockerfile", "Dockerfile.dev", "api.Dockerfile", "dockerfile", "Containerfile", "Containerfile.x",
    "a.go", "a.ts", "a.tfvars", "a.hcl", "a.xml", "README.md", "", "*", ".", "a*b.conf", "a?.conf", "[x].py",
    "a\nb.conf", "ä.conf", ".conf.bak", ".py.orig", ".tf.old", ".yaml~", "x.env.local", "web.Procfile",
)


def test_each_layer_is_offered_what_fnmatch_would_match() -> None:
    names = (*NAMES, *(glob.replace("*", "x") for globs in CANDIDATES.values() for glob in globs))
    for layer, globs in CANDIDATES.items():
        for name in names:
            assert candidate(layer, name) == any(fnmatch.fnmatchcase(name, glob) for glob in globs), (layer, name)
    assert candidate("no such layer", "anything")


def test_globs_of_other_shapes_are_matched_as_fnmatch_matches_them() -> None:
    globs = ("*", "a*b", "?.conf", "[ab].py", "*.tar.*", "x[", "exact", "pre*", "*post", "a*", "*z")
    names = ("", "a", "ab", "axb", "ba", "x.conf", "xy.conf", "a.py", "c.py", "f.tar.gz", "f.tar", "x[", "exact",
             "exactly", "prefix", "pre", "apost", "post", "z", "a\nz")
    for glob in globs:
        test = _NameTest((glob,))
        for name in names:
            assert test(name) == fnmatch.fnmatchcase(name, glob), (glob, name)
    mixed = _NameTest(globs)
    for name in names:
        assert mixed(name) == any(fnmatch.fnmatchcase(name, glob) for glob in globs), name


def test_the_layers_of_a_name_are_each_layers_answer() -> None:
    # candidates_of answers for all layers at once, remembering names by their ending from the
    # first dot: a name whose ending is a whole name or starts with a prefix some glob holds
    # (x.envrc, x.env.local, a.Dockerfile.dev) must still get its own answer, asked first and
    # again after the ending was remembered from another name.
    from pgconf_fix.discovery import candidates_of

    endings = (".envrc", ".env.local", ".Dockerfile.dev", ".conf", ".py", ".tf.json", ".env", ".sample", "")
    names = (*NAMES, *(f"{stem}{ending}" for stem in ("x", "Procfile", "Dockerfile", ".env", "a.b") for ending in endings))
    for _ in range(2):
        for name in names:
            expected = {layer for layer, globs in CANDIDATES.items() if any(fnmatch.fnmatchcase(name, glob) for glob in globs)}
            assert candidates_of(name) == expected, name

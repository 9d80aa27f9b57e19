"""The committed per-major catalogs against what was measured on the real servers (FACTS.md,
"Verified on real software in the second round"), and the catalog module's answers.

The comparison with the live servers themselves is in tests/test_majors_matrix.py.
"""

from __future__ import annotations

import pytest

from pgconf_fix import guc_catalog
from pgconf_fix.guc_values import GucValueError, parse_int
from pgconf_fix.versions import PgVersion

V = PgVersion


def shown(major: int) -> int:
    """How many parameters pg_settings shows on that major (the catalog also holds hidden ones)."""
    catalog = guc_catalog.catalog_for(V(major))
    assert catalog is not None
    return sum(1 for guc in catalog.parameters.values() if not guc.hidden)


@pytest.mark.parametrize(
    ("major", "count"),
    # FACTS.md: 271 on 10, 316 on 12, 353 on 15, 362 on 16, 378 on 17, 396 on 18. Those are
    # pg_settings counts (--describe-config lists fewer: it leaves out developer options).
    # 18.4 has 398: two more than the 18 build FACTS.md counted.
    [(10, 271), (12, 316), (15, 353), (16, 362), (17, 378), (18, 398)],
)
def test_parameter_counts_match_the_measured_servers(major: int, count: int) -> None:
    assert shown(major) == count


def test_every_major_10_to_18_has_a_catalog() -> None:
    assert {version.major for version in guc_catalog.supported_versions()} >= set(range(10, 19))


@pytest.mark.parametrize(
    ("name", "first", "last"),
    [
        ("tcp_user_timeout", 12, 18),
        ("idle_session_timeout", 14, 18),
        ("client_connection_check_interval", 14, 18),
        ("autovacuum_vacuum_max_threshold", 18, 18),
        ("promote_trigger_file", 12, 15),
        ("vacuum_defer_cleanup_age", 10, 15),
        ("old_snapshot_threshold", 10, 16),
        ("db_user_namespace", 10, 16),
        ("ssl_renegotiation_limit", 10, 18),
        ("tcp_keepalives_idle", 10, 18),
    ],
)
def test_which_majors_have_a_parameter(name: str, first: int, last: int) -> None:
    modern = [version.major for version in guc_catalog.versions_with(name) if version.major >= 10]
    assert modern == list(range(first, last + 1))


def test_names_no_modern_major_has() -> None:
    for name in ("checkpoint_segments", "unix_socket_directory", "tcp_keepalive_idle"):
        assert not [version for version in guc_catalog.versions_with(name) if version.major >= 10], name


def test_hidden_parameters_are_known_but_untyped() -> None:
    guc = guc_catalog.catalog_for(V(18)).get("ssl_renegotiation_limit")
    assert guc is not None and guc.hidden and guc.vartype == ""
    assert "sort_mem" in guc_catalog.catalog_for(V(18))  # accepted as an alias of work_mem


def test_names_are_case_insensitive_and_keep_their_spelling() -> None:
    catalog = guc_catalog.catalog_for(V(16))
    assert "datestyle" in catalog and catalog.get("DATESTYLE").name == "DateStyle"


def test_did_you_mean_uses_the_version_when_it_has_a_catalog() -> None:
    assert guc_catalog.did_you_mean("autovacuum_vacuum_max_treshold", V(18)) == "autovacuum_vacuum_max_threshold"
    assert guc_catalog.did_you_mean("autovacuum_vacuum_max_treshold", V(15)) == "autovacuum_vacuum_threshold"
    assert guc_catalog.did_you_mean("tcp_keepalive_idle") == "tcp_keepalives_idle"


def test_span_joins_consecutive_majors() -> None:
    assert guc_catalog.span([V(12), V(13), V(14), V(15)]) == "PostgreSQL 12\u201315"
    assert guc_catalog.span([V(10), V(12), V(13)]) == "PostgreSQL 10, 12\u201313"
    assert guc_catalog.span([V(18)]) == "PostgreSQL 18"


def test_integer_meta_comes_from_the_version() -> None:
    on_10 = guc_catalog.integer_meta("work_mem", V(10))
    assert (on_10.unit, on_10.minimum, on_10.syntax) == ("kB", 64, 10)
    # Measured: 10 knows no "B" unit nor fractions, 11 adds "B", 12 adds fractions and "us".
    with pytest.raises(GucValueError):
        parse_int("1024B", on_10)
    with pytest.raises(GucValueError):
        parse_int("1.5MB", guc_catalog.integer_meta("work_mem", V(11)))
    assert parse_int("1.5MB", guc_catalog.integer_meta("work_mem", V(12))) == 1536
    assert parse_int("'1048576B'".strip("'"), guc_catalog.integer_meta("shared_buffers", V(11))) == 128
    assert parse_int("64kB", guc_catalog.integer_meta("wal_buffers", V(10))) == 8


def test_integer_meta_without_version_needs_agreement() -> None:
    idle = guc_catalog.integer_meta("tcp_keepalives_idle", None)
    assert (idle.unit, idle.minimum) == ("s", 0)
    assert guc_catalog.integer_meta("no_such_parameter", None) is None
    assert guc_catalog.integer_meta("ssl_renegotiation_limit", None) is None


def test_9x_catalogs_exist_and_are_partial() -> None:
    for minor in range(7):
        catalog = guc_catalog.catalog_for(V(9, minor))
        assert catalog is not None and catalog.partial, minor


@pytest.mark.parametrize(
    ("name", "majors"),
    [
        # FACTS.md: unix_socket_directory is valid through 9.2 (renamed in 9.3); checkpoint_segments
        # is refused by 9.5 and later.
        ("unix_socket_directory", [V(9, 0), V(9, 1), V(9, 2)]),
        ("checkpoint_segments", [V(9, 0), V(9, 1), V(9, 2), V(9, 3), V(9, 4)]),
    ],
)
def test_9x_facts(name: str, majors: list[PgVersion]) -> None:
    assert list(guc_catalog.versions_with(name)) == majors


def test_ssl_renegotiation_limit_is_on_every_major() -> None:
    assert len(guc_catalog.versions_with("ssl_renegotiation_limit")) == len(guc_catalog.supported_versions())
    # It took kB before 9.5; from 9.5 on it is hidden (GUC_NO_SHOW_ALL) and accepts only 0.
    assert guc_catalog.catalog_for(V(9, 4)).get("ssl_renegotiation_limit").unit == "kB"
    assert guc_catalog.catalog_for(V(9, 6)).get("ssl_renegotiation_limit").hidden


def test_a_rule_can_require_a_parameter_of_the_version(tmp_path) -> None:  # noqa: ANN001
    from pgconf_fix.catalog import load_rule
    from pgconf_fix.engine import _version_applies

    (tmp_path / "X901.toml").write_text(
        'code = "X901"\nname = "user-timeout"\nlayer = "server"\nseverity = "warning"\n'
        'summary = "s"\nwhy = "w"\nfix_safety = "f"\n'
        '[check]\nkind = "required"\nsetting = "tcp_user_timeout"\nrequires_parameter = "tcp_user_timeout"\n'
    )
    rule = load_rule(tmp_path / "X901.toml", builtin=False)
    assert not _version_applies(rule, V(11))  # PostgreSQL 11 has no tcp_user_timeout
    assert _version_applies(rule, V(12))
    assert _version_applies(rule, None)  # unknown: the rule still speaks


def test_pgf104_reads_when_renegotiation_became_zero_only_from_the_catalogs() -> None:
    from pgconf_fix.checks.pgf104_ssl_renegotiation import only_zero_since

    assert only_zero_since() == V(9, 5)
    assert guc_catalog.first_version_where("ssl_renegotiation_limit", lambda guc: guc.maximum == 0) == V(9, 5)


def test_catalog_rows_become_parameters_when_asked() -> None:
    """A catalog keeps its rows and builds a parameter on first use (a check of one
    postgresql.conf asks for a few of ~350 per major); every name gives the same Guc through
    ``get`` as through ``parameters``, and a short row is refused when the file is read."""
    from pgconf_fix import guc_catalog

    catalog = guc_catalog.catalog_for(guc_catalog.supported_versions()[-1])
    assert catalog is not None
    first = catalog.get("TCP_KEEPALIVES_IDLE")
    assert first is not None and first.name == "tcp_keepalives_idle" and first.unit == "s"
    assert catalog.get("tcp_keepalives_idle") is first
    assert catalog.parameters == {name: catalog.get(name) for name in catalog.names()}
    assert catalog.spellings()["tcp_keepalives_idle"] == "tcp_keepalives_idle"
    text = "# PostgreSQL 18.1:\nname\tvartype\tflags\nfoo\tbool\n"
    with pytest.raises(ValueError, match="2 fields where the header has 3"):
        guc_catalog._parse(text, "pg18.tsv")


def test_a_catalog_finds_a_name_in_its_text_as_in_its_rows() -> None:
    """Until its rows are asked for, a catalog looks a name up in its lower-cased text (issue 18):
    every name of every shipped catalog, in either case, and names no catalog has, are found or
    not as the rows find them, with the same row (CR LF line breaks too); a catalog whose rows
    are not ASCII reads its rows as before."""
    from pgconf_fix import guc_catalog

    texts = guc_catalog._catalog_texts()
    assert len(texts) == 16
    absent = ["", "name", "vartype", "tcp_keepalives", "keepalives_idle", "#port", "\u212aeep"]
    one_name, one = texts[1]
    tabs = one.count("\t", one.index("\nname\t"), one.index("\n", one.index("\nname\t") + 1))
    last_row = one.splitlines()[-1]  # again, upper-cased: the last row of a name is its row
    variants = [(one_name, one.replace("\n", "\r\n")), (one_name, one + "caf\u00e9" + "\t" * tabs + "\n"),
                (one_name, one + last_row.upper() + "\n")]
    for file_name, text in [*texts, *variants]:
        by_text = guc_catalog._parse(text, file_name)
        by_rows = guc_catalog._parse(text, file_name)
        rows = by_rows.rows
        assert rows and (by_text.lowered is None) is ("caf\u00e9" in rows)
        for name in [*rows, *(name.upper() for name in rows), *absent]:
            found = name.lower() in rows
            assert (name in by_text) is found, (file_name, name)
            guc = by_text.get(name)
            assert (guc is None) is not found and repr(guc) == repr(by_rows.get(name)), (file_name, name)
        assert ("rows" in vars(by_text)) is (by_text.lowered is None)  # else every answer came from the text
        assert "port\tx" not in by_text and "por\nt" not in by_text and by_text.get("port\t") is None  # by the rows

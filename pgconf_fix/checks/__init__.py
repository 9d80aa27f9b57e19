"""Checks that cannot be data: each module exposes ``check(rule, view, options)``."""

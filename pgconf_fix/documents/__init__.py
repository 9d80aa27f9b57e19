"""Lossless parsers, one module per file format."""

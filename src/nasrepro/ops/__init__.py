"""Primitive operations of the search spaces."""

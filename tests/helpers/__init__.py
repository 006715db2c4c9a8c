"""Builders and tools several test modules share. Test modules import from here (and use the
fixtures of conftest.py), never from one another."""

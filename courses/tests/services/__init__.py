"""Test classes re-exported by courses/tests/test_services.py (collected once, there)."""

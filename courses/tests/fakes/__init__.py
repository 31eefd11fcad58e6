"""Fakes of external services, speaking their real protocols over real sockets."""

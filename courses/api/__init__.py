"""The HTTP interface: one APIView per operation; errors rendered by ``courses.api.errors``."""

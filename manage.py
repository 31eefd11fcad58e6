#!/usr/bin/env python
import os
import sys


def main() -> None:
    default = "config.settings.test" if len(sys.argv) > 1 and sys.argv[1] == "test" else None
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", default or "config.settings.base")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()

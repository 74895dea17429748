#!/usr/bin/env python
"""Django's command-line utility for a Jumin node (the `jumin` CLI wraps it as `jumin manage`)."""

import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jumin.settings.base")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)

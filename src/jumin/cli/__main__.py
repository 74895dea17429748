import sys

from jumin.cli import main

sys.exit(main())

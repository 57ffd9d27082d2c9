import sys

from anon_core.cli.main import main

sys.exit(main())

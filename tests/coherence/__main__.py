"""__main__.py - `python3 tests/coherence ...` runs the checker (cli.py)"""
import os
import sys

sys.dont_write_bytecode = True  # nothing written into the tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cli  # noqa: E402

sys.exit(cli.main())

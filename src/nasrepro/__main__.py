import sys

from nasrepro.jobserver import run_served

code = run_served(sys.argv[1:])  # a workflow job, in the local job server when one runs
if code is None:
    from nasrepro.cli import main

    code = main()
raise SystemExit(code)

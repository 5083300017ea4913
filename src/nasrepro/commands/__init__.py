"""The subcommands of ``python -m nasrepro``, one module per workflow rule family; each module's
``add_commands(subparsers)`` declares its subcommands. Modules import torch only inside the
commands that need it, so report jobs start fast."""

from nasrepro.commands import bench, cells, data, jobs, report

MODULES = (data, jobs, cells, report, bench)

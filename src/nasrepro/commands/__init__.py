"""The subcommands of ``python -m nasrepro``, one module per workflow rule family; each module's
``add_commands(subparsers)`` declares its subcommands. Modules import torch only inside the
commands that need it, so report jobs start fast."""

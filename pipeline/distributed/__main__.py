"""`python -m pipeline.distributed ...`: the distributed commands without the main `stadssignaal` group."""
from pipeline.distributed.commands import distributed

if __name__ == "__main__":  # pragma: no cover
    distributed(prog_name="python -m pipeline.distributed")

"""`python -m pipeline.runners.kafka ...`: the distributed commands without the main `stadssignaal` group."""
from pipeline.cli.kafka import distributed

if __name__ == "__main__":  # pragma: no cover
    distributed(prog_name="python -m pipeline.runners.kafka")

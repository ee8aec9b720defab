"""`python -m pipeline` runs the `stadssignaal` command."""
from pipeline.cli import main

main(prog_name="stadssignaal")

"""`python -m pipeline` runs the `stadssignaal` command."""
from pipeline.cli.main import main

main(prog_name="stadssignaal")

"""Index templates and the ILM policy as JSON data files (see README.md)."""

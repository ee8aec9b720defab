"""The built-in dashboard: SQL queries, the Starlette app, its background server and static page."""

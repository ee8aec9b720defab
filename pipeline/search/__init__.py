"""Site search for the webteam: query grouping, per-group statistics and trends, review status, ingestion.

Kept import-light: the enricher imports `pipeline.search.grouping`; web and log modules load on demand.
"""

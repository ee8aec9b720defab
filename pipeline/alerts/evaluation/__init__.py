"""The alert benchmark: a synthetic stream with injected spikes, simple baselines, and scoring."""

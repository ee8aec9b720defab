"""Trainable topic and sentiment models: training, evaluation reports, model directories, starter models."""
from __future__ import annotations

from pipeline.models.model_dir import ModelDirError, load_topic_model
from pipeline.models.topic_model import TrainedTopicModel

__all__ = ["ModelDirError", "TrainedTopicModel", "load_topic_model"]

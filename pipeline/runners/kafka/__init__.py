"""The distributed runner: Kafka connectors and Faust workers around the same core as the local runner."""

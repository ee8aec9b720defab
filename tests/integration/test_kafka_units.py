"""Kafka pieces one at a time: the mock broker, topics, codec, enrich and count logic, and the connector."""
from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from fakes.kafka_bed import KafkaTestBed, consume_topic, kafka_bed_fixture  # noqa: F401 - provides kafka_bed
from pipeline.core.signal import RawSignal
from pipeline.runners.kafka.agents.counts import (
    COUNT_RETENTION,
    NOT_OWNED,
    EventTimeWindow,
    FactClock,
    entry_records,
    expired_entries,
    ids_per_window,
    new_entries,
    tombstones,
)
from pipeline.runners.kafka.agents.enrich import enrich_records
from pipeline.runners.kafka.codec import (
    FACT_TEXT_CHARS,
    FACTS_PER_RECORD,
    decode_detect,
    detect_records,
    encode_signal,
    fact_row,
    row_fact,
)
from pipeline.runners.kafka.config import KafkaSettings, load_kafka_settings
from pipeline.runners.kafka.connector import Connector, ConnectorError, CursorFile, cursor_path_for, new_producer
from pipeline.runners.kafka.raw_consumer import RawRecord
from pipeline.runners.kafka.topics import KAFKA_PYTHON_API_VERSION, required_topics
from pipeline.sources.demo.generator import generate, write_jsonl
from pipeline.sources.replay import ReplaySource


def demo_signals(n: int, prefix: str, seed: int = 11) -> list[RawSignal]:
    """`n` generated signals with ids unique to `prefix`."""
    return [dataclasses.replace(s, id=f"{s.channel}:{prefix}-{i}") for i, s in enumerate(generate(n, seed=seed))]


@pytest.fixture(scope="module")
def enricher() -> Any:
    """The core enricher with default settings."""
    from pipeline.core.settings import Settings
    from pipeline.enrich import Enricher

    return Enricher(Settings())


# ---- the broker and its topics --------------------------------------------------------------------------


def test_mock_cluster_speaks_kafka_and_holds_the_pipeline_topics(kafka_bed: KafkaTestBed) -> None:
    from kafka import KafkaProducer

    producer = KafkaProducer(bootstrap_servers=kafka_bed.bootstrap, api_version=KAFKA_PYTHON_API_VERSION, acks="all")
    futures = [producer.send("signals.raw", key=f"k{i}".encode(), value=b"v") for i in range(20)]
    producer.flush(10)
    partitions = {f.get(10).partition for f in futures}
    producer.close()
    assert partitions <= set(range(4)) and len(partitions) > 1  # keys spread over the 4 pre-created partitions
    records = consume_topic(kafka_bed.bootstrap, "signals.raw", 20)
    assert sorted(r.key for r in records) == sorted(f"k{i}".encode() for i in range(20))


def test_required_topics_include_faust_internals() -> None:
    settings = KafkaSettings(app_id="zeist", partitions=6)
    names = {spec.name: spec for spec in required_topics(settings)}
    for public in ("signals.raw", "signals.enriched", "signals.alerts", "signals.deadletter"):
        assert names[public].partitions == 6
    assert "zeist-__assignor-__leader" in names
    for table in ("topic-counts", "channel-counts", "detector-state"):
        assert dict(names[f"zeist-{table}-changelog"].configs)["cleanup.policy"] == "compact"
    # unread facts are never dropped for size: the counts and the detector would miss them
    for facts in ("zeist-signal-facts", "zeist-detector-facts"):
        assert names[facts].partitions == 6 and dict(names[facts].configs)["retention.bytes"] == "-1"


def test_topics_list_command_prints_every_topic() -> None:
    from pipeline.cli.main import main as distributed

    result = CliRunner().invoke(distributed, ["topics", "list", "--partitions", "3", "--app-id", "x"])
    assert result.exit_code == 0, result.output
    lines = [line.split("\t") for line in result.output.strip().splitlines() if "\t" in line]
    assert {line[0] for line in lines} >= {"signals.raw", "x-__assignor-__leader", "x-topic-counts-changelog"}
    assert all(line[1] == "3" for line in lines)


def test_topics_create_leaves_existing_topics_and_reports_refusals(kafka_bed: KafkaTestBed) -> None:
    from pipeline.cli.main import main as distributed

    args = ["topics", "create", "--broker", kafka_bed.bootstrap, "--partitions", "4"]
    result = CliRunner().invoke(distributed, args)
    assert result.exit_code == 0, result.output
    reported = [line.split()[1] for line in result.output.splitlines() if line.startswith("exists")]
    assert sorted(reported) == sorted(spec.name for spec in required_topics(kafka_bed.settings))
    # another app id needs its own internal topics; the mock refuses CreateTopics: a message, no traceback
    result = CliRunner().invoke(distributed, args + ["--app-id", "elsewhere"])
    assert result.exit_code == 1
    assert f"cannot create topics on {kafka_bed.bootstrap}" in result.output
    assert isinstance(result.exception, SystemExit)


def test_settings_read_the_kafka_table_and_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "settings.toml"
    config.write_text('municipality = "Zeist"\n[kafka]\nbroker = "kafka://k1:9092,k2:9092"\npartitions = 12\n')
    monkeypatch.setenv("STADSSIGNAAL_KAFKA_SINK", "none")
    monkeypatch.delenv("STADSSIGNAAL_CONFIG", raising=False)
    settings = load_kafka_settings(config)
    assert settings.bootstrap_servers == ["k1:9092", "k2:9092"]
    assert settings.partitions == 12 and settings.sink == "none"
    with pytest.raises(ValueError):
        KafkaSettings(sink="postgres")


# ---- codec and the logic inside the agents ------------------------------------------------------------


def test_enrich_records_turns_bad_records_into_dead_letters_with_reasons(enricher: Any) -> None:
    good = demo_signals(3, "units")
    records = [RawRecord(s.id.encode(), encode_signal(s), 0, i) for i, s in enumerate(good)]
    records += [
        RawRecord(b"x", b"{not json", 1, 10),
        RawRecord(b"y", json.dumps({"id": "twitter:1", "channel": "twitter"}).encode(), 1, 11),
        RawRecord(b"z", b"\xff\xfe bad bytes", 2, 12),
        RawRecord(None, None, 3, 13),
    ]
    outcome = enrich_records(records, enricher, "kafka:signals.raw", 20_000)
    assert [d["id"] for d in outcome.docs] == [s.id for s in good]
    assert all({"topic", "sentiment", "language", "pii"} <= set(d) for d in outcome.docs)
    reasons = {letter.position: letter.reason for letter in outcome.dead}
    assert "invalid JSON" in reasons["partition 1 offset 10"]
    assert "missing field" in reasons["partition 1 offset 11"]
    assert "UTF-8" in reasons["partition 2 offset 12"]
    assert "empty record" in reasons["partition 3 offset 13"]
    # dead letters keep the byte length and sha256 of the record, never its content
    bad = next(letter for letter in outcome.dead if letter.position == "partition 2 offset 12")
    assert bad.raw == "" and bad.raw_bytes == len(b"\xff\xfe bad bytes")
    assert bad.raw_sha256 == hashlib.sha256(b"\xff\xfe bad bytes").hexdigest()


def doc_fact(doc: dict[str, Any]) -> dict[str, Any]:
    """The fact object the detector reads of an enriched signal, as the counts agent decodes it."""
    return row_fact(fact_row(doc)) or {}


def test_facts_keep_what_the_detector_reads_in_small_records(enricher: Any) -> None:
    docs = enricher.enrich_many(demo_signals(FACTS_PER_RECORD + 7, "facts"))
    docs[0] = {**docs[0], "text": "x" * (FACT_TEXT_CHARS * 3), "keywords": ["riool"]}
    fact = doc_fact(docs[0])
    assert set(fact) <= {"id", "channel", "created_at", "place", "text", "keywords", "topic", "sentiment"}
    assert fact["topic"] == {"code": docs[0]["topic"]["code"]} and len(fact["text"]) == FACT_TEXT_CHARS
    records = detect_records(docs, [0] * len(docs), "katwijk")
    assert len(records) == 2
    decoded = decode_detect(records[0][1])[1] + decode_detect(records[1][1])[1]
    assert sorted(f["id"] for f in decoded) == sorted(d["id"] for d in docs)
    assert next(f for f in decoded if f["id"] == docs[0]["id"]) == fact
    with pytest.raises(ValueError):
        decode_detect(b'{"not": "a list"}')


def test_detector_facts_travel_as_rows_and_decode_to_the_facts_the_detector_reads(enricher: Any) -> None:
    from pipeline.runners.kafka.codec import event_times, to_json_bytes

    docs = enricher.enrich_many(demo_signals(40, "rows"))
    partitions = [i % 2 for i in range(len(docs))]
    records = detect_records(docs, partitions, "katwijk")
    assert {key for key, _ in records} == {b"detect:katwijk"}
    decoded = dict(decode_detect(value) for _, value in records)
    times = dict(zip((d["id"] for d in docs), event_times(docs)))
    for partition in (0, 1):
        expected = sorted((doc_fact(d) for d, p in zip(docs, partitions) if p == partition),
                          key=lambda fact: times[fact["id"]] or 0.0)
        assert decoded[partition] == expected
    # rows name no field: far fewer bytes than the same facts as objects
    objects = sum(len(to_json_bytes({"p": p, "facts": f})) for p, f in decoded.items())
    assert sum(len(value) for _, value in records) < 0.75 * objects
    # records written as objects (before rows) still decode
    assert decode_detect(to_json_bytes({"p": 3, "facts": decoded[0]})) == (3, decoded[0])
    for bad in (b'{"p": 1}', b'[1, 2]', b'{"p": "x", "rows": []}'):
        with pytest.raises(ValueError):
            decode_detect(bad)


def test_counting_facts_are_keyed_by_topic_and_channel_and_group_ids_per_window() -> None:
    from pipeline.runners.kafka.codec import count_records

    base = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)

    def doc(minutes: int, code: str, channel: str) -> dict[str, Any]:
        """A document at `minutes` past the base time."""
        return {"id": f"{channel}:{minutes}", "created_at": (base + timedelta(minutes=minutes)).isoformat(),
                "channel": channel, "topic": {"code": code}}

    records = dict(count_records([doc(1, "verkeer", "twitter"), doc(14, "verkeer", "facebook"),
                                  doc(16, "afval", "twitter")]))
    assert set(records) == {b"count:topic:verkeer", b"count:topic:afval", b"count:channel:twitter",
                            b"count:channel:facebook"}
    first, second = base.timestamp(), base.timestamp() + 900
    windows, skipped = ids_per_window(records[b"count:channel:twitter"], 15 * 60)
    assert windows == {first: {"twitter:1"}, second: {"twitter:16"}} and skipped == 0
    windows, skipped = ids_per_window(b'[["a:1", "yesterday"], [null, "2026-03-02T09:00:00Z"]]', 900)
    assert windows == {} and skipped == 2
    with pytest.raises(ValueError):
        ids_per_window(b'{"not": "a list"}', 900)


def test_count_entries_are_per_signal_and_windows_expire_by_event_time() -> None:
    import time

    clock = FactClock()
    window = EventTimeWindow(900.0, COUNT_RETENTION.total_seconds(), clock)
    start = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc).timestamp()
    table: dict[Any, int] = {}

    def add_once(value: str, windows: dict[float, set[str]]) -> list[Any]:
        """The new entries, then put in the table (as the agent does once the changelog has them)."""
        added = new_entries(table, window, value, windows)
        table.update({entry: 1 for entry in added})
        return added

    assert len(add_once("verkeer", {start: {"twitter:1", "twitter:2"}})) == 2
    assert add_once("verkeer", {start: {"twitter:2", "twitter:3"}}) == [
        (("verkeer", "twitter:3"), window.current(start))]                                 # twitter:2 only once
    assert len(add_once("afval", {start + 900: {"twitter:2"}})) == 1
    assert sorted(table) == [(("afval", "twitter:2"), window.current(start + 900)),
                             *((("verkeer", f"twitter:{i}"), window.current(start)) for i in (1, 2, 3))]
    # each entry says one signal is in one window: a re-sent entry changes nothing, none removes another
    assert set(table.values()) == {1}
    # the changelog records read back (as Faust restores a windowed table) as the same entries
    records = entry_records(sorted(table))
    restored = {tuple(tuple(part) for part in json.loads(key)): json.loads(value) for key, value in records}
    assert restored == table
    # history months older than the wall clock is kept while it is within two days of the newest fact
    end = window.current(start)[1]
    clock.saw(start + 900)
    assert not window.stale(end, time.time())
    clock.saw(start + COUNT_RETENTION.total_seconds() + 1800)
    assert window.stale(end, 0.0)


def test_expired_count_entries_become_tombstones_and_are_never_written_again() -> None:
    clock = FactClock()
    window = EventTimeWindow(900.0, COUNT_RETENTION.total_seconds(), clock)
    start = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc).timestamp()
    old, kept = window.current(start), window.current(start + 86400)
    table = {(("verkeer", "twitter:1"), old): 1, (("afval", "twitter:1"), old): 1,
             (("verkeer", "twitter:2"), kept): 1, (("overig", "twitter:3"), old): 1}
    partitions = {"verkeer": 2, "afval": 0}      # "overig" is not this worker's
    clock.saw(start + 86400 + 900)
    assert expired_entries(table, window, lambda entry: partitions.get(entry[0][0], NOT_OWNED)) == {}
    clock.saw(start + COUNT_RETENTION.total_seconds() + 900)       # the first window is now two days old
    expired = expired_entries(table, window, lambda entry: partitions.get(entry[0][0], NOT_OWNED))
    assert expired == {2: [(("verkeer", "twitter:1"), old)], 0: [(("afval", "twitter:1"), old)],
                       NOT_OWNED: [(("overig", "twitter:3"), old)]}
    # a tombstone has the entry's changelog key and no value (Faust's restore deletes the key)
    records = tombstones(expired[2])
    assert records == [(entry_records(expired[2])[0][0], None)]
    assert tuple(tuple(part) for part in json.loads(records[0][0])) == (("verkeer", "twitter:1"), old)
    # a late fact for an expired window adds nothing; one for a kept window still counts
    assert new_entries({}, window, "verkeer", {start: {"twitter:9"}}) == []
    assert new_entries({}, window, "verkeer", {start + 86400: {"twitter:9"}}) == [(("verkeer", "twitter:9"), kept)]


def test_an_inline_delivery_finishes_without_a_task_or_carries_on_and_can_be_cancelled() -> None:
    import asyncio
    import contextvars

    from pipeline.runners.kafka.inline import carry_on, step

    log: list[str] = []

    async def scenario() -> None:
        loop = asyncio.get_running_loop()

        async def quick() -> int:
            log.append("quick")
            return 1

        assert step(quick(), contextvars.copy_context()) == (True, None) and log == ["quick"]

        gate: asyncio.Future[str] = loop.create_future()

        async def slow() -> str:
            log.append("slow")
            value = await gate
            log.append(value)
            return value

        coro = slow()
        finished, waiting_on = step(coro, contextvars.copy_context())
        assert not finished and waiting_on is gate and log == ["quick", "slow"]
        task = loop.create_task(carry_on(coro, waiting_on))
        await asyncio.sleep(0)
        gate.set_result("opened")
        assert await task == "opened" and log[-1] == "opened"

        stuck_on: asyncio.Future[None] = loop.create_future()

        async def stuck() -> None:
            try:
                await stuck_on
            except asyncio.CancelledError:
                log.append("cancelled")
                raise

        coro2 = stuck()
        finished, waiting_on = step(coro2, contextvars.copy_context())
        task2 = loop.create_task(carry_on(coro2, waiting_on))
        await asyncio.sleep(0)
        task2.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task2
        assert log[-1] == "cancelled"

    asyncio.run(scenario())


# ---- the connector --------------------------------------------------------------------------------------


def test_connectors_checksum_record_batches_in_c_and_warn_when_they_cannot(kafka_bed: KafkaTestBed,
                                                                            monkeypatch: pytest.MonkeyPatch,
                                                                            caplog: pytest.LogCaptureFixture) -> None:
    from kafka.record import util

    from pipeline.runners.kafka import connector

    # the install provides the C checksum kafka-python picks up (the `crc32c` extra in pyproject.toml)
    assert connector.checksums_in_c() and util.crc32c_c is not None
    with caplog.at_level(logging.WARNING, logger="pipeline.runners.kafka.connector"):
        new_producer(kafka_bed.settings).close()
    assert "pure Python" not in caplog.text
    monkeypatch.setattr(util, "crc32c_c", None)
    with caplog.at_level(logging.WARNING, logger="pipeline.runners.kafka.connector"):
        new_producer(kafka_bed.settings).close()
    assert "record checksums in pure Python" in caplog.text and "crc32c" in caplog.text


def test_connector_resumes_from_its_cursor_without_skipping_or_flooding(kafka_bed: KafkaTestBed,
                                                                        tmp_path: Path) -> None:
    signals = demo_signals(130, "resume")
    path = tmp_path / "signals.jsonl"
    write_jsonl(path, signals)
    state = CursorFile(tmp_path / "cursor.json")

    producer = new_producer(kafka_bed.settings)
    first = Connector(ReplaySource(path, batch_size=40), producer, kafka_bed.settings, state).run(max_batches=2)
    producer.close()
    assert first.signals == 80
    saved = state.load()
    assert saved is not None

    producer = new_producer(kafka_bed.settings)  # a restarted connector: new producer, same cursor file
    second = Connector(ReplaySource(path, batch_size=40), producer, kafka_bed.settings, state).run()
    third = Connector(ReplaySource(path, batch_size=40), producer, kafka_bed.settings, state).run()
    producer.close()
    assert second.signals == 50 and third.signals == 0

    records = consume_topic(kafka_bed.bootstrap, "signals.raw", 130)
    keys = [r.key.decode() for r in records]
    assert sorted(keys) == sorted(s.id for s in signals)  # every signal exactly once
    assert all(json.loads(r.value)["id"] == r.key.decode() for r in records)


class _FailingFuture:
    """A send whose acknowledgement never comes."""

    def get(self, timeout: float | None = None) -> Any:
        """Fail like a timed-out delivery."""
        raise TimeoutError("no acknowledgement from the broker")


class _UnackedProducer:
    """Accepts sends but never gets them acknowledged (a broker that went away)."""

    def send(self, topic: str, value: bytes | None = None, key: bytes | None = None) -> _FailingFuture:
        """Accept the record."""
        return _FailingFuture()

    def flush(self, timeout: float | None = None) -> None:
        """Nothing is ever delivered."""
        return None

    def close(self, timeout: float | None = None) -> None:
        """Nothing to release."""
        return None


def test_connector_keeps_its_cursor_when_the_broker_does_not_acknowledge(tmp_path: Path) -> None:
    path = tmp_path / "signals.jsonl"
    write_jsonl(path, demo_signals(30, "unacked"))
    state = CursorFile(tmp_path / "cursor.json")
    state.save({"line": 0, "offset": 0}, "replay")
    before = state.path.read_text()
    settings = KafkaSettings(produce_timeout=1)
    with pytest.raises(ConnectorError, match="did not acknowledge"):
        Connector(ReplaySource(path, batch_size=10), _UnackedProducer(), settings, state).run()
    assert state.path.read_text() == before


def test_cursor_files_are_per_source_and_damage_is_reported(tmp_path: Path) -> None:
    a = cursor_path_for(tmp_path, "replay:/data/a.jsonl")
    b = cursor_path_for(tmp_path, "replay:/data/b.jsonl")
    assert a != b and a.parent == tmp_path
    a.write_text("{broken")
    with pytest.raises(ConnectorError, match="damaged"):
        CursorFile(a).load()


def test_connect_demo_command_sends_the_history(kafka_bed: KafkaTestBed, tmp_path: Path) -> None:
    from pipeline.cli.main import main as distributed

    state_file = tmp_path / "demo-cursor.json"
    args = ["connect", "demo", "--seed", "3", "--history-hours", "1", "--live-rate", "0",
            "--broker", kafka_bed.bootstrap, "--state-file", str(state_file)]
    result = CliRunner().invoke(distributed, args)  # --live-rate 0: returns once the history is sent
    assert result.exit_code == 0, result.output
    assert state_file.is_file()
    sent = int(result.output.split("Sent ")[1].split()[0])
    assert sent > 0
    records = consume_topic(kafka_bed.bootstrap, "signals.raw", sent)
    assert len({r.key for r in records}) == sent == len(records)


# ---- docker/ --------------------------------------------------------------------------------------------

REPO = Path(__file__).resolve().parents[2]


def _cli_root() -> Any:
    """The project's `stadssignaal` command group."""
    from pipeline.cli.main import main

    return main


def _resolve(root: Any, args: list[str]) -> list[str]:
    """Parse `args` like the shell would run `stadssignaal ARGS`; return the command path or raise UsageError."""
    import click

    ctx = root.make_context("stadssignaal", list(args))
    path = []
    command = root
    while isinstance(command, click.Group):
        rest = list(getattr(ctx, "_protected_args", []) or getattr(ctx, "protected_args", [])) + list(ctx.args)
        if not rest:
            raise click.UsageError(f"{' '.join(path) or 'stadssignaal'} needs a subcommand")
        name, command, rest = command.resolve_command(ctx, rest)
        path.append(name)
        ctx = command.make_context(name, rest, parent=ctx)
    return path


def test_compose_services_run_real_commands_of_the_project() -> None:
    yaml = pytest.importorskip("yaml", reason="PyYAML is needed to read docker-compose.yml")
    compose = yaml.safe_load((REPO / "docker" / "docker-compose.yml").read_text(encoding="utf-8"))
    services = compose["services"]
    ours = {name: svc for name, svc in services.items() if "build" in svc}
    assert {"kafka", "elasticsearch", "kibana", "connector"} <= set(services)
    root = _cli_root()
    commands = {}
    for name, service in ours.items():
        assert service["build"]["dockerfile"] == "docker/Dockerfile"
        args = service["command"]
        assert isinstance(args, list), f"{name}: command must be a list"
        commands[name] = _resolve(root, args)
    workers = [name for name, path in commands.items() if path == ["worker"]]
    assert len(workers) == 2
    assert commands["connector"][0] == "connect"
    assert ["topics", "create"] in commands.values()
    # KRaft: one node that is broker and controller, advertised where the pipeline looks for it
    kafka_env = services["kafka"]["environment"]
    assert set(kafka_env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    advertised = kafka_env["KAFKA_ADVERTISED_LISTENERS"].split("//", 1)[1]
    for name in workers + ["connector", "topics"]:
        assert ours[name]["environment"]["STADSSIGNAAL_KAFKA_BROKER"] == advertised
    dockerfile = (REPO / "docker" / "Dockerfile").read_text(encoding="utf-8")
    assert 'ENTRYPOINT ["stadssignaal"]' in dockerfile


def test_command_check_rejects_unknown_commands_and_options() -> None:
    import click

    root = _cli_root()
    with pytest.raises(click.UsageError):
        _resolve(root, ["wrker"])
    with pytest.raises(click.UsageError):
        _resolve(root, ["worker", "--no-such-option"])
    assert _resolve(root, ["connect", "demo", "--seed", "3"]) == ["connect", "demo"]


# ---- sinks and detector state ---------------------------------------------------------------------------


def test_sqlite_sink_stores_signals_and_alerts_by_id_and_rejects_bad_alert_events(enricher: Any,
                                                                                   tmp_path: Path) -> None:
    import sqlite3

    from pipeline.runners.kafka.agents.sink import decode_alerts
    from pipeline.sinks.base import SinkBatch
    from pipeline.sinks.sqlite.sink import SqliteSink

    sink = SqliteSink(tmp_path / "store.db").open()
    docs = enricher.enrich_many(demo_signals(5, "sink"))
    assert sink.write(SinkBatch(docs=docs)) == [] and sink.write(SinkBatch(docs=docs[:2])) == []  # overwrites
    alert = {"id": "verkeer-1", "topic": "verkeer", "scope": {"type": "topic", "value": "verkeer"},
             "start": "2026-03-02T09:00:00Z", "end": None, "observed": 30, "expected": 4.0, "p_value": 1e-9,
             "trigger": "volume"}
    payloads = [{"kind": "opened", "at": "2026-03-02T09:15:00Z", "alert": alert},
                {"kind": "closed", "at": "2026-03-02T10:15:00Z", "alert": {**alert, "end": "2026-03-02T10:00:00Z"}},
                {"kind": "opened", "alert": {"id": "broken"}}]
    events, dead = decode_alerts([(json.dumps(p).encode(), f"offset {i}") for i, p in enumerate(payloads)],
                                 "kafka:signals.alerts")
    assert len(dead) == 1 and "not an alert event" in dead[0].reason and dead[0].raw == ""
    assert [e.kind for e in events] == ["closed"]   # the last event per alert id
    assert sink.write(SinkBatch(alerts=events, dead=dead)) == []
    sink.close()
    conn = sqlite3.connect(tmp_path / "store.db")
    assert conn.execute("SELECT COUNT(*) FROM signals").fetchone()[0] == 5
    assert conn.execute("SELECT id, status, last_event FROM alerts").fetchall() == [("verkeer-1", "closed", "closed")]
    assert conn.execute("SELECT position, raw, raw_bytes, raw_sha256 IS NOT NULL FROM deadletters").fetchall() == [
        ("offset 2", "", len(json.dumps(payloads[2]).encode()), 1)]
    conn.close()


def test_detector_state_survives_packing(enricher: Any) -> None:
    from pipeline.alerts.config import DetectorConfig
    from pipeline.alerts.detector import SpikeDetector
    from pipeline.runners.kafka.agents.counts import pack_state, unpack_state

    config = DetectorConfig(warmup_hours=1)
    detector = SpikeDetector(config)
    docs = enricher.enrich_many(demo_signals(300, "state"))
    detector.observe(docs[:200])
    blob = pack_state(detector)
    restored = unpack_state(blob, config)
    assert len(blob) < len(json.dumps(detector.snapshot()))
    assert restored.snapshot() == detector.snapshot()
    assert [e.to_dict() for e in restored.observe(docs[200:])] == [e.to_dict() for e in detector.observe(docs[200:])]


def test_detector_records_are_oldest_first_across_offsets(enricher: Any) -> None:
    docs = enricher.enrich_many(demo_signals(FACTS_PER_RECORD * 2, "order"))
    shuffled = list(reversed(docs))
    shuffled[0] = {**shuffled[0], "created_at": "2020-01-01T12:00:00+05:00"}  # 07:00 UTC, the oldest
    records = detect_records(shuffled, [0] * len(shuffled), "katwijk")
    facts = decode_detect(records[0][1])[1] + decode_detect(records[1][1])[1]
    times = [datetime.fromisoformat(f["created_at"].replace("Z", "+00:00")).timestamp() for f in facts]
    assert times == sorted(times) and facts[0]["id"] == shuffled[0]["id"]


# ---- batched sends and worker settings -------------------------------------------------------------------


def test_batch_sender_puts_each_key_on_the_partition_the_java_client_would(kafka_bed: KafkaTestBed) -> None:
    import asyncio

    from aiokafka import AIOKafkaProducer
    from kafka.partitioner.default import murmur2

    from pipeline.runners.kafka.batch_send import BatchSender

    records = [(f"twitter:batch-{i}".encode(), json.dumps({"n": i}).encode()) for i in range(300)]

    async def send() -> None:
        """Send the records with an aiokafka producer the way the enrich task does."""
        producer = AIOKafkaProducer(bootstrap_servers=kafka_bed.bootstrap, acks="all", max_batch_size=4096)
        await producer.start()
        try:
            await BatchSender(lambda: producer).send("signals.enriched", records)
        finally:
            await producer.stop()

    asyncio.run(send())  # returns only after the broker acknowledged every record (max_batch_size forces splits)
    consumed = consume_topic(kafka_bed.bootstrap, "signals.enriched", len(records), timeout=10)
    assert sorted((r.key, r.value) for r in consumed) == sorted(records)
    assert all(r.partition == (murmur2(r.key) & 0x7FFFFFFF) % 4 for r in consumed)  # kafka-python's own hash
    by_partition: dict[int, list[int]] = {}
    for r in sorted(consumed, key=lambda r: (r.partition, r.offset)):
        by_partition.setdefault(r.partition, []).append(json.loads(r.value)["n"])
    assert all(ns == sorted(ns) for ns in by_partition.values())  # order kept within a partition


def test_batch_sender_sends_a_failed_partition_again() -> None:
    import asyncio

    import pipeline.runners.kafka.batch_send as batch_send

    class Batch:
        """A record batch holding at most two records."""

        def __init__(self) -> None:
            """An empty, open batch."""
            self.records: list[tuple[bytes | None, bytes]] = []
            self.closed = False

        def append(self, *, key: bytes | None, value: bytes, timestamp: float | None) -> object | None:
            """Add a record; None when the batch is full."""
            if len(self.records) == 2:
                return None
            self.records.append((key, value))
            return object()

        def record_count(self) -> int:
            """Records in the batch."""
            return len(self.records)

        def close(self) -> None:
            """Mark the batch complete."""
            self.closed = True

    class FlakyProducer:
        """Fails the first delivery to partition 1, accepts everything else."""

        def __init__(self) -> None:
            """Nothing delivered yet."""
            self.delivered: list[tuple[int, list[tuple[bytes | None, bytes]]]] = []
            self.failed_once = False

        async def partitions_for(self, topic: str) -> set[int]:
            """Two partitions."""
            return {0, 1}

        def create_batch(self) -> Batch:
            """A new batch."""
            return Batch()

        async def send_batch(self, batch: Batch, topic: str, *, partition: int) -> "asyncio.Future[None]":
            """Deliver at once, except the first batch for partition 1."""
            future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            assert batch.closed
            if partition == 1 and not self.failed_once:
                self.failed_once = True
                future.set_exception(RuntimeError("broker went away"))
            else:
                self.delivered.append((partition, batch.records))
                future.set_result(None)
            return future

    def by_parity(key: bytes | None, partitions: list[int], available: list[int]) -> int:
        """Even keys to partition 0, odd ones to 1."""
        return int((key or b"0")[-1:]) % 2

    producer = FlakyProducer()
    records = [(str(i).encode(), f"v{i}".encode()) for i in range(5)]
    old_delay = batch_send.RETRY_FIRST_SECONDS
    batch_send.RETRY_FIRST_SECONDS = 0.01
    try:
        asyncio.run(batch_send.BatchSender(lambda: producer, by_parity).send("t", records))
    finally:
        batch_send.RETRY_FIRST_SECONDS = old_delay
    assert producer.failed_once
    delivered = [record for _, batch in producer.delivered for record in batch]
    assert sorted(delivered) == sorted(records)  # partition 1 was sent again, partition 0 once
    assert [p for p, _ in producer.delivered] == [0, 0, 1]


def test_worker_writes_the_sink_from_the_enrich_task_unless_told_otherwise(tmp_path: Path,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline.core.settings import Settings
    from pipeline.runners.kafka.app import build_worker_app
    from pipeline.sinks.base import NullSink

    def agent_names(**overrides: Any) -> set[str]:
        """The Faust agents of a worker app built (not started) with these settings."""
        kafka = KafkaSettings(datadir=tmp_path / "faust", **overrides)
        worker = build_worker_app(kafka, Settings(), enricher=object(), sink=NullSink())  # type: ignore[arg-type]
        # the raw stream is read by the worker's own batch consumer, in a group of its own, not by an agent
        assert worker.raw_consumer.settings.raw_group == f"{kafka.app_id}-raw" != kafka.app_id
        assert worker.raw_consumer.assignment() == []      # not started
        return {agent.name.rsplit(".", 1)[-1] for agent in worker.app.agents.values()}

    assert KafkaSettings().sink_in_enrich is True
    assert agent_names() == {"counts", "alert-sink"}
    assert agent_names(sink_in_enrich=False) == {"counts", "sink", "alert-sink"}
    monkeypatch.setenv("STADSSIGNAAL_KAFKA_SINK_IN_ENRICH", "false")
    assert KafkaSettings().sink_in_enrich is False


def test_freezing_the_startup_heap_keeps_it_out_of_collections() -> None:
    import gc

    from pipeline.runners.kafka.app import freeze_startup_heap

    threshold = gc.get_threshold()
    try:
        startup = [{"model": i} for i in range(1000)]
        freeze_startup_heap(young_threshold=5000)
        assert gc.get_freeze_count() >= len(startup)
        assert gc.get_threshold() == (5000, threshold[1], threshold[2])
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)


def test_enriched_docs_are_encoded_once_for_kafka_and_the_sqlite_sink(enricher: Any, tmp_path: Path) -> None:
    import sqlite3

    from pipeline.runners.kafka.agents.enrich import encode_docs, enriched_records
    from pipeline.runners.kafka.codec import to_json_bytes
    from pipeline.sinks.base import SinkBatch
    from pipeline.sinks.sqlite.sink import SqliteSink

    docs = enricher.enrich_many(demo_signals(4, "once"))
    encoded = encode_docs(docs)
    records = enriched_records(docs, encoded)
    assert records == enriched_records(docs)
    assert [value for _, value in records] == [to_json_bytes(doc) for doc in docs]
    sink = SqliteSink(tmp_path / "store.db").open()
    assert sink.write(SinkBatch(docs=docs, encoded=encoded)) == []
    sink.close()
    conn = sqlite3.connect(tmp_path / "store.db")
    stored = dict(conn.execute("SELECT id, doc FROM signals").fetchall())
    conn.close()
    assert [stored[doc["id"]].encode("utf-8") for doc in docs] == [value for _, value in records]


def test_count_entries_are_encoded_as_json_dumps_would_and_counting_facts_carry_numeric_times() -> None:
    from pipeline.runners.kafka.codec import count_records

    keys = [(("verkeer", "twitter:1"), (1772442000.0, 1772442899.9)), (('é"x', "a\\b"), (0.0, 899.9)),
            (("verkeer", "twitter:2"), (1772442000.0, 1772442899.9))]
    assert [key for key, _ in entry_records(keys)] == [json.dumps(key).encode("utf-8") for key in keys]
    doc = {"id": "twitter:9", "created_at": "2026-03-02T09:10:00+00:00", "channel": "twitter",
           "topic": {"code": "verkeer"}}
    records = dict(count_records([doc]))
    start = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc).timestamp()
    assert json.loads(records[b"count:topic:verkeer"]) == [["twitter:9", start + 600]]
    assert ids_per_window(records[b"count:topic:verkeer"], 900) == ({start: {"twitter:9"}}, 0)

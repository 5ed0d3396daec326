"""Structured logs carry the request id."""

from __future__ import annotations

import json
import logging

from accident_online.kit.observability import JsonFormatter, request_id_var


def test_log_lines_are_json_with_the_request_id() -> None:
    record = logging.LogRecord(
        "accident_online.http", logging.INFO, __file__, 1, "request", None, None
    )
    record.status = 201
    record.route = "/v1/reports"
    token = request_id_var.set("req-42")
    try:
        line = JsonFormatter().format(record)
    finally:
        request_id_var.reset(token)
    entry = json.loads(line)
    assert entry["request_id"] == "req-42"
    assert entry["status"] == 201
    assert entry["route"] == "/v1/reports"
    assert entry["level"] == "INFO"
    assert entry["time"].endswith("+00:00")


def test_chinese_text_stays_readable_in_logs() -> None:
    record = logging.LogRecord("x", logging.WARNING, __file__, 1, "鲁P12345 已受理", None, None)
    assert "鲁P12345 已受理" in JsonFormatter().format(record)

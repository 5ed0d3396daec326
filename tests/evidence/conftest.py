"""A real object store for the evidence tests: one-node Swift with its S3 API
(tests/object_store.py), started once per test session and stopped at its end."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from object_store import ObjectStore, start_swift


@pytest.fixture(scope="session")
def swift(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ObjectStore]:
    with start_swift(tmp_path_factory.mktemp("swift")) as store:
        yield store


@pytest.fixture
def bucket(swift: ObjectStore) -> str:
    """A new, empty bucket for one test."""
    name = f"evidence-{uuid.uuid4().hex[:12]}"
    swift.client().make_bucket(name)
    return name

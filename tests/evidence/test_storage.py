"""Content-addressed storage: atomic placement, the same bytes stored once."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from accident_online.evidence.storage import ContentStore


def files_under(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file())


def test_a_file_is_invisible_until_placed_then_lies_at_its_hash(tmp_path: Path) -> None:
    store = ContentStore(tmp_path / "store")
    data = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40
    sha = hashlib.sha256(data).hexdigest()

    writer = store.begin()
    writer.write(data[:1000])
    writer.write(data[1000:])
    assert not store.exists(sha)
    assert writer.size == len(data)
    assert writer.sha256 == sha

    stored = store.place(writer)

    assert (stored.sha256, stored.size, stored.created) == (sha, len(data), True)
    target = tmp_path / "store" / sha[:2] / sha[2:4] / sha
    assert store.path_for(sha) == target
    assert target.read_bytes() == data
    assert files_under(tmp_path) == [target]


def test_the_same_bytes_are_stored_once(tmp_path: Path) -> None:
    store = ContentStore(tmp_path)
    first = store.begin()
    first.write(b"same bytes")
    second = store.begin()
    second.write(b"same bytes")

    placed_first = store.place(first)
    placed_second = store.place(second)

    assert placed_first.created is True
    assert placed_second.created is False
    assert placed_first.sha256 == placed_second.sha256
    assert files_under(tmp_path) == [store.path_for(placed_first.sha256)]


def test_discarding_leaves_nothing(tmp_path: Path) -> None:
    store = ContentStore(tmp_path)
    writer = store.begin()
    writer.write(b"half a photo")

    writer.discard()
    writer.discard()

    assert files_under(tmp_path) == []


def test_a_failed_placement_removes_the_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = ContentStore(tmp_path)
    writer = store.begin()
    writer.write(b"photo")

    def disk_full(*_: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("accident_online.evidence.storage.os.link", disk_full)
    with pytest.raises(OSError, match="No space"):
        store.place(writer)

    assert files_under(tmp_path) == []


def test_remove_deletes_the_file_and_tolerates_absence(tmp_path: Path) -> None:
    store = ContentStore(tmp_path)
    writer = store.begin()
    writer.write(b"photo")
    sha = store.place(writer).sha256

    store.remove(sha)
    store.remove(sha)

    assert files_under(tmp_path) == []


@pytest.mark.parametrize("bad", ["../../etc/passwd", "AB" * 32, "a" * 63, "g" * 64, ""])
def test_only_a_sha256_names_a_path(tmp_path: Path, bad: str) -> None:
    with pytest.raises(ValueError, match="SHA-256"):
        ContentStore(tmp_path).path_for(bad)


def _place(store: ContentStore, data: bytes):  # type: ignore[no-untyped-def]
    writer = store.begin()
    writer.write(data)
    return store.place(writer)


def test_a_created_file_nobody_else_claimed_is_removed(tmp_path: Path) -> None:
    store = ContentStore(tmp_path)
    created = _place(store, b"photo of a failed upload")

    assert store.remove_unclaimed(created) is True
    assert store.remove_unclaimed(created) is True  # already gone: fine
    assert files_under(tmp_path) == []


def test_a_file_another_upload_claimed_is_kept(tmp_path: Path) -> None:
    store = ContentStore(tmp_path)
    created = _place(store, b"same photo")
    reused = _place(store, b"same photo")  # a concurrent upload relying on the file

    assert (created.created, reused.created) == (True, False)
    assert store.remove_unclaimed(created) is False
    assert store.path_for(created.sha256).read_bytes() == b"same photo"
    assert files_under(tmp_path) == [store.path_for(created.sha256)]


def test_an_upload_arriving_after_the_removal_places_its_own_copy(tmp_path: Path) -> None:
    store = ContentStore(tmp_path)
    created = _place(store, b"photo")
    assert store.remove_unclaimed(created) is True

    again = _place(store, b"photo")

    assert again.created is True
    assert store.path_for(again.sha256).read_bytes() == b"photo"

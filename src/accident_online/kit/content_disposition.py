"""The Content-Disposition header of a download (RFC 6266)."""

from __future__ import annotations

from urllib.parse import quote


def attachment(filename: str) -> str:
    """``attachment`` with the file's name: a plain ``filename`` every client reads, and, when
    the name is not plain ASCII, ``filename*`` in UTF-8 (RFC 8187) that current browsers
    prefer."""
    plain = "".join(char if " " <= char <= "~" and char not in '"\\%' else "_" for char in filename)
    if plain == filename:
        return f'attachment; filename="{filename}"'
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(filename, safe='')}"

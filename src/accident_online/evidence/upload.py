"""Reading an evidence upload: a multipart body parsed as it arrives.

The `file` part is streamed into a ``StagedUpload`` (evidence/service.py) while its first
bytes decide its type, so that a wrong or oversized file stops the upload early; the
short `kind` and `party` fields are then checked as a request model would be, every
error at once.

The app may declare the photo's `sha256` and `size` (optional fields): the received bytes
must match them or the upload fails with `422 evidence-digest-mismatch`, storing nothing.
Sent before `file`, they let an object store take the photo at its content address while
it arrives (staging.py) and stop a longer file at its declared size.
"""

from __future__ import annotations

from collections.abc import AsyncIterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

from accident_online.cases.evidence_kinds import PER_PARTY_KINDS, EvidenceKind
from accident_online.evidence.exceptions import (
    EvidenceTooLarge,
    MalformedUpload,
    MultipartRequired,
    UnsupportedEvidenceType,
)
from accident_online.evidence.sniffing import ACCEPTED_TYPES, SNIFF_LENGTH, sniff_image_type
from accident_online.evidence.storage import is_sha256
from accident_online.kit.i18n import _
from accident_online.kit.problems import ProblemErrorItem, ValidationFailed

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks

    from accident_online.evidence.staging import StagedUpload

# Room for boundaries, part headers and the small fields around the file.
MULTIPART_OVERHEAD = 64 * 1024
_FIELDS = ("kind", "party", "sha256", "size", "file")
_MAX_FIELD_BYTES = 80  # short words, numbers and a SHA-256 in hex (64 digits)
_MAX_FILENAME = 255


def _field_error(field: str, msg: str, type_: str) -> ProblemErrorItem:
    return ProblemErrorItem(loc=["body", field], msg=msg, type=type_)


@dataclass(frozen=True)
class UploadForm:
    kind: EvidenceKind
    party: int | None
    content_type: str  # sniffed from the bytes
    filename: str | None
    sha256: str | None = None  # declared by the app, checked against the bytes
    size: int | None = None


async def receive_upload(
    chunks: AsyncIterable[bytes],
    *,
    content_type: str,
    staged: StagedUpload,
    max_bytes: int,
) -> UploadForm:
    """Parses a multipart body as it arrives, streaming its `file` part into ``staged``.

    Raises as soon as the file is too large or its first bytes are not an accepted image,
    without reading the rest.
    """
    media_type, options = parse_options_header(content_type)
    if media_type != b"multipart/form-data":
        raise MultipartRequired()
    boundary = options.get(b"boundary")
    if not boundary:
        raise MalformedUpload(_("The Content-Type has no multipart boundary."))
    form = _MultipartForm()
    try:
        parser = MultipartParser(boundary, form.callbacks())
    except FormParserError as error:
        raise MalformedUpload(_("The multipart boundary is invalid.")) from error

    sniffer = _Sniffer()
    received = 0
    declared = False
    file_flushed = False
    async for chunk in chunks:
        received += len(chunk)
        if received > max_bytes + MULTIPART_OVERHEAD:
            raise _too_large(max_bytes)
        try:
            parser.write(chunk)
        except FormParserError as error:
            raise MalformedUpload() from error
        data = form.take_file_data()
        if data:
            if not declared:
                declared = True
                sha256, size = form.declared()
                if size is not None and size > max_bytes:
                    raise _too_large(max_bytes)
                staged.declare(sha256=sha256, size=size)
            if sniffer.feed(data):
                staged.expect(sniffer.content_type)
            if staged.size + len(data) > max_bytes:
                raise _too_large(max_bytes)
            await staged.write(data)
        if form.file_complete and not file_flushed:
            file_flushed = True
            if sniffer.content_type is None:
                sniffer.finish()  # a file shorter than the sniffed length
                staged.expect(sniffer.content_type)
            await staged.flush()  # the last bytes on their way, whatever follows the file
    if not form.complete:
        raise MalformedUpload(_("The body ended before the closing multipart boundary."))
    validated = form.validated(sniffer.content_type)
    await staged.received(sha256=validated.sha256, size=validated.size)
    return validated


def _too_large(max_bytes: int) -> EvidenceTooLarge:
    return EvidenceTooLarge(
        _("A file may have at most {limit} bytes.", limit=max_bytes), max_upload_bytes=max_bytes
    )


class _Sniffer:
    """Decides the file's type once its first bytes are in, so a wrong file stops early."""

    def __init__(self) -> None:
        self.content_type: str | None = None
        self._head = b""

    def feed(self, data: bytes | memoryview) -> bool:
        """Takes the next bytes; True once, when they decided the type."""
        if self.content_type is None:
            self._head += data[: SNIFF_LENGTH - len(self._head)]
            if len(self._head) >= SNIFF_LENGTH:
                self.finish()
                return True
        return False

    def finish(self) -> None:
        if self.content_type is None:
            self.content_type = sniff_image_type(self._head)
            if self.content_type is None:
                raise UnsupportedEvidenceType(accepted=list(ACCEPTED_TYPES))


class _MultipartForm:
    """Callbacks for python_multipart's parser: small fields kept, file bytes handed on.

    The parser calls these synchronously from ``write``; the file's bytes wait in a list
    until the caller takes them and writes them out asynchronously.
    """

    def __init__(self) -> None:
        self.fields: dict[str, bytearray] = {}
        self.filename: str | None = None
        self.file_seen = False
        self.file_complete = False
        self.complete = False
        # Views of the network's chunks, not copies (a photo is most of the body).
        self._file_data: list[memoryview] = []
        self._part: str | None = None
        self._header_name = bytearray()
        self._header_value = bytearray()
        self._disposition: bytes | None = None

    def callbacks(self) -> MultipartCallbacks:
        return {
            "on_part_begin": self._on_part_begin,
            "on_header_field": self._on_header_field,
            "on_header_value": self._on_header_value,
            "on_header_end": self._on_header_end,
            "on_headers_finished": self._on_headers_finished,
            "on_part_data": self._on_part_data,
            "on_part_end": self._on_part_end,
            "on_end": self._on_end,
        }

    def take_file_data(self) -> bytes | memoryview:
        """The file's bytes the last chunk held: most often a view of the whole chunk."""
        data = self._file_data[0] if len(self._file_data) == 1 else b"".join(self._file_data)
        self._file_data.clear()
        return data

    def _on_part_begin(self) -> None:
        self._part = None
        self._disposition = None

    def _on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def _on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _on_header_end(self) -> None:
        if self._header_name.lower() == b"content-disposition":
            self._disposition = bytes(self._header_value)
        self._header_name.clear()
        self._header_value.clear()

    def _on_headers_finished(self) -> None:
        disposition, options = parse_options_header(self._disposition)
        raw_name = options.get(b"name")
        if disposition != b"form-data" or raw_name is None:
            raise MalformedUpload(_("Every part needs 'Content-Disposition: form-data; name=...'."))
        name = raw_name.decode("utf-8", "replace")
        if name not in _FIELDS:
            raise ValidationFailed.at(
                ["body", name],
                _("Unexpected field; send kind, party, sha256, size and file."),
                type="extra_forbidden",
            )
        if name in self.fields or (name == "file" and self.file_seen):
            raise ValidationFailed.at(["body", name], _("Send this field once."), type="duplicate")
        self._part = name
        if name == "file":
            self.file_seen = True
            self.filename = _client_filename(options.get(b"filename"))
        else:
            self.fields[name] = bytearray()

    def _on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._part == "file":
            self._file_data.append(memoryview(data)[start:end])
        elif self._part is not None:
            value = self.fields[self._part]
            value += data[start:end]
            if len(value) > _MAX_FIELD_BYTES:
                raise ValidationFailed.at(
                    ["body", self._part], _("Value too long."), type="string_too_long"
                )

    def _on_part_end(self) -> None:
        if self._part == "file":
            self.file_complete = True
        self._part = None

    def _on_end(self) -> None:
        self.complete = True

    def validated(self, content_type: str | None) -> UploadForm:
        """The form's fields checked as a request model would be: every error at once."""
        errors: list[ProblemErrorItem] = []
        kind: EvidenceKind | None = None
        party: int | None = None
        raw_kind = self._text("kind")
        raw_party = self._text("party")
        if raw_kind is None:
            errors.append(_field_error("kind", "Field required", "missing"))
        else:
            try:
                kind = EvidenceKind(raw_kind)
            except ValueError:
                allowed = ", ".join(f"'{k.value}'" for k in EvidenceKind)
                errors.append(_field_error("kind", f"Input should be one of {allowed}", "enum"))
        if raw_party is not None:
            if raw_party.isascii() and raw_party.isdigit():
                party = int(raw_party)
            else:
                errors.append(
                    _field_error(
                        "party", _("Input should be a party index (0, 1, ...)"), "int_parsing"
                    )
                )
        if kind in PER_PARTY_KINDS and raw_party is None:
            errors.append(
                _field_error("party", f"Field required for {kind}: which vehicle?", "missing")
            )
        elif kind is not None and kind not in PER_PARTY_KINDS and raw_party is not None:
            errors.append(
                _field_error(
                    "party", f"{kind} is shot once per case; send no party.", "extra_forbidden"
                )
            )
        sha256, size = self.declared()
        if self._text("sha256") is not None and sha256 is None:
            errors.append(
                _field_error(
                    "sha256",
                    _("Input should be the file's SHA-256 in 64 hexadecimal digits"),
                    "string_pattern_mismatch",
                )
            )
        if self._text("size") is not None and size is None:
            errors.append(
                _field_error("size", _("Input should be the file's size in bytes"), "int_parsing")
            )
        if not self.file_seen:
            errors.append(_field_error("file", _("Field required"), "missing"))
        if errors or kind is None or content_type is None:
            raise ValidationFailed(errors=errors)
        return UploadForm(
            kind=kind,
            party=party,
            content_type=content_type,
            filename=self.filename,
            sha256=sha256,
            size=size,
        )

    def declared(self) -> tuple[str | None, int | None]:
        """The `sha256` and `size` sent so far, each None unless sent and well formed."""
        raw_sha256 = self._text("sha256")
        raw_size = self._text("size")
        sha256 = raw_sha256.lower() if raw_sha256 is not None else None
        if sha256 is not None and not is_sha256(sha256):
            sha256 = None
        size = None
        if raw_size is not None and raw_size.isascii() and raw_size.isdigit():
            size = int(raw_size)
        return sha256, size

    def _text(self, name: str) -> str | None:
        """A field's value; an empty one counts as not sent (forms send blanks)."""
        raw = self.fields.get(name)
        if raw is None:
            return None
        text = raw.decode("utf-8", "replace").strip()
        return text or None


def _client_filename(raw: bytes | None) -> str | None:
    """The name the phone gave the file, without any directory part, for the record only."""
    if not raw:
        return None
    name = raw.decode("utf-8", "replace").replace("\\", "/").rsplit("/", 1)[-1].strip()
    return name[:_MAX_FILENAME] or None

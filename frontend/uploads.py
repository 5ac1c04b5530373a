"""Upload checks shared by every module: size, and type by content (not by the file name)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# Magic numbers of the types Houqin accepts.
SIGNATURES = {
    "pdf": [b"%PDF-"],
    "png": [b"\x89PNG\r\n\x1a\n"],
    "jpeg": [b"\xff\xd8\xff"],
    "gif": [b"GIF87a", b"GIF89a"],
    "webp": [b"RIFF"],
    "zip": [b"PK\x03\x04"],  # docx, xlsx, pptx
    "ole": [b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"],  # doc, xls
}
IMAGE_KINDS = ("png", "jpeg", "gif", "webp")
DOCUMENT_KINDS = ("pdf", "png", "jpeg", "gif", "webp", "zip", "ole")
EXTENSIONS = {
    "pdf": {".pdf"},
    "png": {".png"},
    "jpeg": {".jpg", ".jpeg"},
    "gif": {".gif"},
    "webp": {".webp"},
    "zip": {".docx", ".xlsx", ".pptx"},
    "ole": {".doc", ".xls", ".ppt"},
}


def sniff(head: bytes) -> str | None:
    for kind, signatures in SIGNATURES.items():
        if any(head.startswith(sig) for sig in signatures):
            if kind == "webp" and head[8:12] != b"WEBP":
                continue
            return kind
    return None


def validate_upload(upload, *, kinds=DOCUMENT_KINDS, max_bytes: int | None = None) -> str:
    """Refuse a file that is too large or whose content is not one of `kinds`; return its kind."""
    limit = max_bytes or settings.UPLOAD_MAX_BYTES
    if upload is None:
        raise ValidationError(_("Choose a file."))
    if upload.size > limit:
        raise ValidationError(
            _("The file is too large (%(size)s MB); the limit is %(limit)s MB.")
            % {"size": round(upload.size / 1048576, 1), "limit": round(limit / 1048576, 1)}
        )
    position = upload.tell() if hasattr(upload, "tell") else 0
    upload.seek(0)
    head = upload.read(16)
    upload.seek(position)
    kind = sniff(head)
    name = (upload.name or "").lower()
    if kind not in kinds or not any(name.endswith(ext) for ext in EXTENSIONS.get(kind, ())):
        allowed = "、".join(sorted({ext for k in kinds for ext in EXTENSIONS[k]}))
        raise ValidationError(_("This type of file is not accepted. Accepted: %(allowed)s.") % {"allowed": allowed})
    return kind

"""The printable decision: 道路交通事故认定书 (officer's determination) or 协议书 (the
parties' agreement confirmed by the officer), as a PDF."""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas

from accident_online.centers.routing import CENTER_TIME_ZONE

# One of the CID fonts every PDF reader with Asian-language support has; nothing to embed.
FONT = "STSong-Light"

TITLES = {
    "liability_determination": "道路交通事故认定书（简易程序·远程定责）",
    "quick_handling_agreement": "道路交通事故快处协议书",
}
GRADES = {
    "full": "全部责任",
    "primary": "主要责任",
    "equal": "同等责任",
    "secondary": "次要责任",
    "none": "无责任",
}


@dataclass(frozen=True)
class DocumentParty:
    index: int
    name: str
    id_number: str
    phone: str
    plate: str
    insurer: str


def verification_hash(*, case_id: str, number: str, decision: dict[str, Any]) -> str:
    """sha256 over the decision as recorded at the case version it was made at."""
    canonical = json.dumps(
        {"case_id": case_id, "number": number, "decision": decision},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@lru_cache(maxsize=1)
def _register_font() -> None:
    pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def render_decision_document(
    *,
    number: str,
    decision: dict[str, Any],
    parties: Sequence[DocumentParty],
    center_name: str,
    address: str,
    occurred_at: datetime,
    digest: str,
) -> bytes:
    _register_font()
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, invariant=True)
    canvas.setTitle(f"{number} {TITLES[decision['document']]}")
    width, height = A4
    y = height - 60

    def line(text: str, *, size: int = 11, indent: int = 0, gap: int = 18) -> None:
        nonlocal y
        for chunk in _wrap(text, width=width - 120 - indent, size=size):
            if y < 60:
                canvas.showPage()
                y = height - 60
            canvas.setFont(FONT, size)
            canvas.drawString(60 + indent, y, chunk)
            y -= gap

    line(TITLES[decision["document"]], size=16, indent=60, gap=28)
    line(f"编号：{number}")
    line(f"事故时间：{occurred_at.astimezone(CENTER_TIME_ZONE):%Y-%m-%d %H:%M}（北京时间）")
    line(f"事故地点：{address}")
    line("当事人：", gap=20)
    for party in parties:
        line(
            f"{_party_label(party.index)} {party.name}  "
            f"身份证号 {party.id_number}  电话 {party.phone}",
            indent=12,
        )
        line(f"号牌 {party.plate}  保险公司 {party.insurer}", indent=24)
    line("事故事实：", gap=20)
    line(decision["facts"], indent=12)
    line("责任认定：", gap=20)
    for item in decision["liabilities"]:
        line(
            f"{_party_label(item['party'])} "
            f"承担{GRADES[item['grade']]}（{item['share_percent']}%）",
            indent=12,
        )
    line("法律依据：", gap=20)
    line(decision["legal_basis"], indent=12)
    if decision.get("agreement") == "confirmed":
        line("当事人自行协商一致，经远程定责民警确认。", gap=20)
    elif decision.get("agreement") == "changed":
        line("当事人自行协商的结果未被采纳，以本认定为准。", gap=20)
    officer = decision.get("officer", {}).get("username") or decision.get("officer", {}).get("id")
    line(f"定责民警：{officer}    定责中心：{center_name}")
    decided_at = datetime.fromisoformat(decision["decided_at"]).astimezone(CENTER_TIME_ZONE)
    line(f"定责时间：{decided_at:%Y-%m-%d %H:%M}")
    line(f"案件版本：{decision.get('case_version')}")
    line("校验码（SHA-256）：", size=9, gap=12)
    line(digest, size=9, indent=12)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _party_label(index: int) -> str:
    labels = "甲乙丙丁戊己庚辛壬癸"
    return f"{labels[index]}方" if index < len(labels) else f"第{index + 1}方"


def _wrap(text: str, *, width: float, size: int) -> list[str]:
    """Wraps by measured width, character by character: CJK text has no spaces to break at."""
    lines: list[str] = []
    current = ""
    for char in text:
        if current and pdfmetrics.stringWidth(current + char, FONT, size) > width:
            lines.append(current)
            current = char.lstrip()
        else:
            current += char
    lines.append(current)
    return lines

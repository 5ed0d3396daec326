"""The printable decision: 道路交通事故认定书（简易程序） (the officer's determination) or
道路交通事故自行协商协议书 (the parties' agreement confirmed by the officer), as a PDF.

The Chinese font is embedded (a subset of a TrueType font, by default WenQuanYi Zen Hei), so
the document reads the same on a phone, a printer or a reader without Chinese fonts.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from accident_online.centers.routing import CENTER_TIME_ZONE
from accident_online.models.determination import ReceiptRecord
from accident_online.models.records import Decision
from accident_online.parties.labels import party_label

TITLES = {
    "liability_determination": "道路交通事故认定书（简易程序）",
    "quick_handling_agreement": "道路交通事故自行协商协议书",
}
GRADES = {
    "full": "全部责任",
    "primary": "主要责任",
    "equal": "同等责任",
    "secondary": "次要责任",
    "none": "无责任",
}
# Where a review is applied for (order 146 art. 71: the next-higher traffic-police
# authority). The remote centers determine for the city's traffic police, so it is the
# city detachment's superior: written as the rule reads, with the city detachment named
# as the office that receives and forwards it (art. 72).
REVIEW_AUTHORITY = "上一级公安机关交通管理部门（经聊城市公安局交通警察支队转交）"
# The parties' rights with their deadlines, which the document must state (order 146
# arts. 71, 85; 民法典 art. 188; DOMAIN.md "The record and the documents").
REVIEW_RIGHT = (
    "复核：当事人对本认定有异议的，可以自本认定书送达之日起三日内，向"
    f"{REVIEW_AUTHORITY}提出书面复核申请，每起事故限申请一次"
    "（《道路交通事故处理程序规定》第七十一条）。"
)
MEDIATION_RIGHT = (
    "调解：当事人可以自收到本认定书之日起十日内，共同书面申请公安机关交通管理部门调解"
    "（《道路交通事故处理程序规定》第八十五条），也可以申请人民调解委员会调解。"
)
AGREEMENT_MEDIATION_RIGHT = (
    "调解：当事人未履行本协议或者对损害赔偿有争议的，可以申请人民调解委员会调解"
    "（《道路交通事故处理程序规定》第二十一条）。"
)
LAWSUIT_RIGHT = (
    "诉讼：当事人对损害赔偿有争议的，可以不经调解，直接向人民法院提起民事诉讼"
    "（诉讼时效三年，《民法典》第一百八十八条）。"
)
MARGIN = 60


@dataclass(frozen=True)
class DocumentPolicy:
    # The insurer's name as the partner registry knows it, else the code the driver gave.
    insurer: str
    policy_number: str | None


@dataclass(frozen=True)
class DocumentParty:
    index: int
    name: str
    id_number: str
    phone: str
    plate: str
    # The 交强险 insurer's name (or code).
    insurer: str
    licence_number: str = ""
    vehicle_type: str = ""
    policy_number: str = ""
    owner: str | None = None  # None: the driver owns the vehicle
    collision_points: tuple[str, ...] = ()
    commercial: str | None = None  # the commercial policy, as one line


@dataclass(frozen=True)
class DocumentScene:
    weather: str | None = None
    road_surface: str | None = None
    light: str | None = None
    accident_form: str | None = None


@dataclass(frozen=True)
class DocumentOfficer:
    name: str
    badge_number: str | None


@dataclass(frozen=True)
class Revocation:
    """A review revoked this decision (order 146 art. 74): the document says so on top."""

    revoked_at: datetime
    reasons: str


# The signature status left blank until the party's receipt is recorded.
_BLANK_STATUS = "□已签名  □拒绝签名（拒签原因：______________________）"


def signature_lines(
    parties: Sequence[DocumentParty], receipts: Sequence[ReceiptRecord]
) -> list[str]:
    """Each party's signature status (DOMAIN.md: each party's signature or a note that it
    refused), from the deliveries recorded; a blank line to sign where none was."""
    by_party = {item.party: item for item in receipts}
    lines = []
    for party in parties:
        label = f"{party_label(party.index)}方"
        receipt = by_party.get(party.index)
        if receipt is None:
            lines.append(f"{label}签名：________________    送达日期：______年____月____日")
            lines.append(f"签收情况：{_BLANK_STATUS}")
            continue
        received = _beijing(datetime.fromisoformat(receipt.received_at))
        status = "已签名" if receipt.signed else f"拒绝签名（{receipt.refusal_note or ''}）"
        waived = "，当事人无异议" if receipt.no_objection else ""
        lines.append(f"{label}：{received}送达，{status}{waived}")
    return lines


def revocation_lines(revocation: Revocation | None) -> list[str]:
    if revocation is None:
        return []
    return [
        f"本认定已于{_beijing(revocation.revoked_at)}经复核撤销，不再有效。",
        f"撤销理由：{revocation.reasons}",
    ]


def verification_hash(*, case_id: str, number: str, decision: Decision) -> str:
    """sha256 over the decision exactly as stored, at the case version it was made at."""
    canonical = json.dumps(
        {"case_id": case_id, "number": number, "decision": decision.as_stored()},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def officer_of(decision: Decision) -> DocumentOfficer:
    """The officer as the decision recorded them; decisions made before accounts had display
    names and badge numbers name the username."""
    officer = decision.officer
    if officer is None:
        return DocumentOfficer(name="", badge_number=None)
    name = officer.display_name or officer.username or officer.id
    return DocumentOfficer(name=name, badge_number=officer.badge_number)


@lru_cache(maxsize=4)
def register_font(path: Path) -> str:
    """Registers the TrueType font (the first face of a collection) once; returns its name.

    reportlab embeds the subset of glyphs a document uses.
    """
    name = f"DecisionFont-{path.stem}"
    pdfmetrics.registerFont(TTFont(name, str(path), subfontIndex=0))
    return name


def render_decision_document(
    *,
    number: str,
    decision: Decision,
    parties: Sequence[DocumentParty],
    center_name: str,
    address: str,
    occurred_at: datetime,
    digest: str,
    font_path: Path,
    scene: DocumentScene | None = None,
    receipts: Sequence[ReceiptRecord] = (),
    revocation: Revocation | None = None,
) -> bytes:
    font = register_font(font_path)
    buffer = io.BytesIO()
    # The first font set on every page is ours: no reader-supplied Helvetica is referenced.
    # (types-reportlab types initialFontName as a number; reportlab takes a font name.)
    canvas = Canvas(buffer, pagesize=A4, invariant=True, initialFontName=font)  # type: ignore[arg-type]
    title = TITLES[decision.document]
    canvas.setTitle(f"{number} {title}")
    width, height = A4
    y = height - MARGIN

    def line(text: str, *, size: int = 11, indent: int = 0, gap: int = 18) -> None:
        nonlocal y
        for chunk in _wrap(text, font=font, width=width - 2 * MARGIN - indent, size=size):
            if y < MARGIN:
                canvas.showPage()
                y = height - MARGIN
            canvas.setFont(font, size)
            canvas.drawString(MARGIN + indent, y, chunk)
            y -= gap

    line(title, size=16, indent=int((width - 2 * MARGIN - 16 * len(title)) / 2), gap=28)
    for text in revocation_lines(revocation):
        line(text, size=12, gap=20)
    scene = scene or DocumentScene()
    line(f"编号：{number}")
    line(f"事故时间：{_beijing(occurred_at)}    天气：{scene.weather or '未记录'}")
    line(f"事故地点：{address}")
    road = "，".join(
        part
        for part in (
            f"路面{scene.road_surface}" if scene.road_surface else "",
            scene.light or "",
        )
        if part
    )
    if road:
        line(f"道路及照明：{road}")
    line(f"事故形态：{scene.accident_form or '未记录'}")
    line("当事人、车辆及保险：", gap=20)
    for party in parties:
        line(
            f"{party_label(party.index)}方 {party.name}  "
            f"身份证号 {party.id_number}  电话 {party.phone}",
            indent=12,
        )
        line(
            f"驾驶证号 {party.licence_number}  号牌 {party.plate}  车辆类型 {party.vehicle_type}",
            indent=24,
        )
        line(f"所有人 {party.owner or '同驾驶人'}", indent=24)
        line(f"交强险 保险公司 {party.insurer}  保单号 {party.policy_number}", indent=24)
        if party.commercial:
            line(f"商业险 {party.commercial}", indent=24)
        line(f"碰撞部位 {'、'.join(party.collision_points) or '未记录'}", indent=24)
    line("事故事实：", gap=20)
    line(decision.facts, indent=12)
    line("责任认定：", gap=20)
    for item in decision.liabilities:
        line(
            f"{party_label(item.party)}方 承担{GRADES[item.grade]}（{item.share_percent}%）",
            indent=12,
        )
    line("法律依据：", gap=20)
    line(decision.legal_basis, indent=12)
    if decision.agreement == "confirmed":
        line("当事人自行协商一致，经远程定责民警确认。", gap=20)
    elif decision.agreement == "changed":
        line("当事人自行协商的结果未被采纳，以本认定为准。", gap=20)
    line("当事人权利：", gap=20)
    if decision.document == "liability_determination":
        line(REVIEW_RIGHT, indent=12)
        line(MEDIATION_RIGHT, indent=12)
    else:
        line(AGREEMENT_MEDIATION_RIGHT, indent=12)
    line(LAWSUIT_RIGHT, indent=12)
    officer = officer_of(decision)
    badge = f"（警号 {officer.badge_number}）" if officer.badge_number else ""
    line(f"定责民警：{officer.name}{badge}    定责中心：{center_name}", gap=20)
    line(f"定责时间：{_beijing(datetime.fromisoformat(decision.decided_at))}")
    line(f"案件版本：{decision.case_version}")
    line("当事人签名及送达：", gap=24)
    for text in signature_lines(parties, receipts):
        line(text, indent=12, gap=26)
    line(
        "定责民警签名：________________    日期：______年____月____日",
        indent=12,
        gap=26,
    )
    line("校验码（SHA-256）：", size=9, gap=12)
    line(digest, size=9, indent=12)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _beijing(moment: datetime) -> str:
    return f"{moment.astimezone(CENTER_TIME_ZONE):%Y-%m-%d %H:%M}（北京时间）"


def _wrap(text: str, *, font: str, width: float, size: int) -> list[str]:
    """Wraps by measured width, character by character: CJK text has no spaces to break at.

    A line break in the text (facts written in paragraphs) starts a new line.
    """
    lines: list[str] = []
    current = ""
    for char in text.replace("\r\n", "\n"):
        if char in "\r\n":
            lines.append(current)
            current = ""
        elif current and pdfmetrics.stringWidth(current + char, font, size) > width:
            lines.append(current)
            current = char.lstrip()
        else:
            current += char
    lines.append(current)
    return lines

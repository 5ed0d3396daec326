"""GET /v1/cases/{case_id}/decision/document, read the way a person reads it.

poppler renders and reads the PDF in an environment without a single system font, so
what shows is only what the document itself carries: the embedded Chinese font.
"""

from __future__ import annotations

import re
import subprocess
from datetime import datetime
from pathlib import Path

import pytest
from fontTools.ttLib import TTCollection
from PIL import Image

from accident_online.centers.routing import CENTER_TIME_ZONE
from accident_online.parties.formats import id_check_character
from accident_online.settings import Settings

PICC = "中国人民财产保险股份有限公司聊城市分公司"
DOCUMENT = "/v1/cases/{}/decision/document"
FACTS = "乙车变更车道时未让所借用车道内行驶的甲车先行，与甲车右前侧发生刮擦，两车受损。"
LEGAL_BASIS = "《道路交通安全法实施条例》第四十四条；《道路交通事故处理程序规定》第六十条"


@pytest.fixture(scope="module")
def fontless(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """An environment for poppler in which fontconfig knows no font at all."""
    root = tmp_path_factory.mktemp("fontless")
    (root / "fonts").mkdir()
    config = root / "fonts.conf"
    config.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n'
        f"<fontconfig><dir>{root / 'fonts'}</dir><cachedir>{root / 'cache'}</cachedir>"
        "</fontconfig>\n"
    )
    env = {"FONTCONFIG_FILE": str(config), "HOME": str(root), "PATH": "/usr/bin:/bin"}
    listed = subprocess.run(["fc-list"], env=env, capture_output=True, text=True, check=True)
    assert listed.stdout.strip() == "", "the font-less environment still lists fonts"
    return env


def poppler(tool: str, *args: str, env: dict[str, str], pdf: bytes) -> str:
    result = subprocess.run(
        [tool, *args, "-", "-"] if tool != "pdffonts" else [tool, "-"],
        input=pdf,
        env=env,
        capture_output=True,
        check=True,
        timeout=60,
    )
    return result.stdout.decode("utf-8")


def first_page(pdf: bytes, *, env: dict[str, str], directory: Path) -> Image.Image:
    """The first page as pdftoppm renders it at 72 dpi: one pixel per point."""
    (directory / "document.pdf").write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", "72", "-f", "1", "-singlefile", "-png", "document.pdf", "page"],
        cwd=directory,
        env=env,
        capture_output=True,
        check=True,
        timeout=60,
    )
    return Image.open(directory / "page.png")


def third_party() -> dict[str, object]:
    first_17 = "37150219880315321"
    return {
        "name": "欧阳娜娜",
        "phone": "13905350003",
        "id_number": first_17 + id_check_character(first_17),
        "licence_number": first_17 + id_check_character(first_17),
        "plate": "鲁P7K321",
        "vehicle_type": "小型普通客车",  # words, as before the code list: K31
        "collision_points": ["rear", "right_rear"],
        "insurer": "PAIC",  # the shorthand of compulsory_policy
        "policy_number": "PAIC202637150000099999",
        "commercial_policy": {
            "insurer": "CPIC",
            "policy_number": "CPIC202637150000011111",
            "third_party_cover": "2000000.00",
            "own_damage": False,
        },
    }


THREE_PARTY_LIABILITIES = [
    {"party": 0, "grade": "none", "share_percent": 0},
    {"party": 1, "grade": "primary", "share_percent": 70},
    {"party": 2, "grade": "secondary", "share_percent": 30},
]
TWO_PARTY_LIABILITIES = [{"party": 0, "grade": "none"}, {"party": 1, "grade": "full"}]


@pytest.fixture
def decide(client, queued_case, make_officer, make_partner, report_body):  # type: ignore[no-untyped-def]
    """A decided case: two or three parties, the officer's determination or the parties'
    agreement confirmed; PICC is a registered insurer, CPIC and PAIC are not."""
    made: dict[str, object] = {}

    async def make(*, parties: int, agreement: bool) -> dict:
        if not made:
            made["officer"] = await make_officer(
                "officer.wang", display_name="王建国", badge_number="371501"
            )
            await make_partner("picc", kind="insurer", name=PICC, insurer_codes=["PICC"])
        officer = made["officer"]
        liabilities = TWO_PARTY_LIABILITIES if parties == 2 else THREE_PARTY_LIABILITIES
        body = report_body()
        body["parties"][0]["plate"] = f"鲁P{parties}{int(agreement)}888"  # type: ignore[index]
        if parties == 3:
            body["parties"].append(third_party())  # type: ignore[attr-defined]
        if agreement:
            body["agreed_liability"] = liabilities
        case = await queued_case(body)
        claimed = await client.post(f"/v1/cases/{case['id']}/claim", headers=officer.headers)
        decided = await client.post(
            f"/v1/cases/{case['id']}/decision",
            json={"liabilities": liabilities, "facts": FACTS, "legal_basis": LEGAL_BASIS},
            headers=officer.with_version(claimed.json()["version"]),
        )
        assert decided.status_code == 200, decided.text
        expected = "quick_handling_agreement" if agreement else "liability_determination"
        assert decided.json()["decision"]["document"] == expected
        return decided.json()

    return make


def words_with_boxes(bbox_html: str) -> list[tuple[str, tuple[float, float, float, float]]]:
    return [
        (text, (float(x0), float(y0), float(x1), float(y1)))
        for x0, y0, x1, y1, text in re.findall(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>',
            bbox_html,
        )
    ]


def dark_share(page: Image.Image, box: tuple[float, float, float, float]) -> float:
    """The share of clearly dark pixels in a box (points at 72 dpi are pixels)."""
    x0, y0, x1, y1 = box
    region = page.convert("L").crop((int(x0), int(y0), int(x1) + 1, int(y1) + 1))
    pixels = region.tobytes()  # one byte a pixel in mode L
    return sum(1 for p in pixels if p < 128) / len(pixels)


@pytest.mark.parametrize(("parties", "agreement"), [(2, False), (3, False), (2, True), (3, True)])
async def test_the_document_reads_and_renders_without_any_system_font(
    client, app_headers, decide, fontless, parties, agreement, settings: Settings, tmp_path
) -> None:
    case = await decide(parties=parties, agreement=agreement)

    response = await client.get(DOCUMENT.format(case["id"]), headers=app_headers)
    pdf = response.content
    fonts = poppler("pdffonts", env=fontless, pdf=pdf)
    text = poppler("pdftotext", "-layout", "-enc", "UTF-8", env=fontless, pdf=pdf)
    boxes = words_with_boxes(poppler("pdftotext", "-bbox", "-enc", "UTF-8", env=fontless, pdf=pdf))
    page = first_page(pdf, env=fontless, directory=tmp_path)

    assert response.status_code == 200
    # Every font is embedded (a subset of the TrueType font), none is left to the reader.
    font_rows = fonts.splitlines()[2:]
    assert font_rows, fonts
    for row in font_rows:
        assert "WenQuanYi" in row, fonts
        columns = row.split()
        assert columns[-5:-3] == ["yes", "yes"], fonts  # emb, sub
    assert "STSong" not in fonts
    # What a person reads.
    title = "道路交通事故自行协商协议书" if agreement else "道路交通事故认定书（简易程序）"
    flat = re.sub(r"\s+", "", text)
    assert title in flat
    assert case["number"] in flat
    for name in ("张伟", "李娜") + (("欧阳娜娜",) if parties == 3 else ()):
        assert name in flat
    assert "371502199001011234" in flat
    assert f"保险公司{PICC}" in flat  # the registered insurer's name
    assert "保险公司CPIC" in flat  # an insurer the registry does not know: its code
    if parties == 2:
        assert "甲方承担无责任（0%）" in flat
        assert "乙方承担全部责任（100%）" in flat
    else:
        assert "乙方承担主要责任（70%）" in flat
        assert "丙方承担次要责任（30%）" in flat
        assert "丙方欧阳娜娜" in flat
    assert "定责民警：王建国（警号371501）" in flat
    assert "东昌府区远程定责中心" in flat
    assert "第六十条" in flat
    for label in ("甲", "乙", "丙")[:parties]:
        assert f"{label}方签名：" in flat
    assert "丁方" not in flat
    assert "定责民警签名：" in flat
    assert ("第七十一条" in flat) is not agreement  # the review right is the determination's
    assert "人民法院提起民事诉讼" in flat
    decided_at = datetime.fromisoformat(case["decision"]["decided_at"]).astimezone(CENTER_TIME_ZONE)
    assert f"定责时间：{decided_at:%Y-%m-%d%H:%M}（北京时间）" in flat
    occurred_at = datetime.fromisoformat(case["occurred_at"]).astimezone(CENTER_TIME_ZONE)
    assert f"事故时间：{occurred_at:%Y-%m-%d%H:%M}（北京时间）" in flat
    # No character is missing from the embedded font (no tofu).
    cmap = TTCollection(str(settings.document_font_path)).fonts[0].getBestCmap()
    missing = sorted({char for char in flat if ord(char) not in cmap})
    assert missing == []
    # The rendered page is not blank where the Chinese text is.
    title_words = [box for word, box in boxes if word.startswith(title[:4])]
    names = [box for word, box in boxes if "张伟" in word]
    assert title_words
    assert names
    assert dark_share(page, title_words[0]) > 0.05
    assert dark_share(page, names[0]) > 0.05
    assert dark_share(page, (0, 0, 40, 40)) == 0  # the margin is blank: dark means text


@pytest.mark.parametrize(("parties", "agreement"), [(2, False), (3, False), (3, True)])
async def test_the_document_holds_every_field_the_law_lists(
    client, app_headers, decide, fontless, parties, agreement
) -> None:
    """Order 146 arts. 21, 24; 实施条例 art. 86 (DOMAIN.md "The record and the documents")."""
    case = await decide(parties=parties, agreement=agreement)

    response = await client.get(DOCUMENT.format(case["id"]), headers=app_headers)
    text = poppler("pdftotext", "-layout", "-enc", "UTF-8", env=fontless, pdf=response.content)
    flat = re.sub(r"\s+", "", text)

    occurred_at = datetime.fromisoformat(case["occurred_at"]).astimezone(CENTER_TIME_ZONE)
    assert f"事故时间：{occurred_at:%Y-%m-%d%H:%M}（北京时间）天气：晴" in flat
    assert "事故地点：山东省聊城市东昌府区东昌路与柳园路交叉口" in flat
    assert "道路及照明：路面干燥，白天" in flat
    assert "事故形态：刮擦" in flat
    # Each party: licence, plate, vehicle type, owner, 交强险 insurer and policy number,
    # collision points.
    assert "驾驶证号371502199001011234号牌" in flat
    assert "号牌鲁P" in flat
    assert "车辆类型小型轿车" in flat
    assert f"交强险保险公司{PICC}保单号PDZA202637150000012345" in flat
    assert "交强险保险公司CPIC保单号ASHZ202637150000067890" in flat
    assert (
        "商业险保险公司PINGAN保单号PDAA202637150000054321第三者责任险1000000.00元车损险有" in flat
    )
    assert "所有人同驾驶人" in flat
    assert "所有人王强（身份证号371502197803124610）" in flat
    assert "碰撞部位右前部" in flat
    assert "碰撞部位左前部、左中部" in flat
    if parties == 3:
        assert "号牌鲁P7K321车辆类型小型普通客车" in flat
        assert "交强险保险公司PAIC保单号PAIC202637150000099999" in flat
        assert (
            "商业险保险公司CPIC保单号CPIC202637150000011111第三者责任险2000000.00元车损险无" in flat
        )
        assert "碰撞部位正后部、右后部" in flat
    # Facts, each party's liability, the legal basis, the officer.
    assert FACTS in flat
    labels = ("甲", "乙", "丙")[:parties]
    for item in case["decision"]["liabilities"]:
        assert f"{item['label']}方承担" in flat
    assert LEGAL_BASIS.replace(" ", "") in flat
    assert "定责民警：王建国（警号371501）" in flat
    # Each party's signature, delivery and its status (blank until a receipt is recorded).
    for label in labels:
        assert f"{label}方签名：________________送达日期：______年____月____日" in flat
    assert flat.count("签收情况：□已签名□拒绝签名（拒签原因：") == parties
    # The parties' rights with their deadlines.
    if agreement:
        assert "第七十一条" not in flat
        assert "人民调解委员会调解" in flat
    else:
        assert "自本认定书送达之日起三日内" in flat
        assert "上一级公安机关交通管理部门" in flat
        assert "书面复核申请" in flat
        assert "第七十一条" in flat
        assert "十日内" in flat
        assert "第八十五条" in flat
    assert "直接向人民法院提起民事诉讼" in flat
    assert "诉讼时效三年" in flat
    # The verification code.
    assert response.headers["x-verification-hash"] in flat


def test_a_recorded_receipt_shows_signed_or_refused() -> None:
    """The signature status, once the app recorded the party's receipt (送达)."""
    from accident_online.decisions.document import DocumentParty, signature_lines
    from accident_online.models.determination import ReceiptRecord

    parties = [
        DocumentParty(index=i, name="", id_number="", phone="", plate="", insurer="")
        for i in range(3)
    ]
    at = datetime(2026, 12, 1, 10, 0, tzinfo=CENTER_TIME_ZONE).isoformat()
    receipts = [
        ReceiptRecord(party=0, received_at=at, signed=True),
        ReceiptRecord(party=1, received_at=at, signed=False, refusal_note="认为对方全责"),
    ]
    lines = signature_lines(parties, receipts)
    assert lines[0] == "甲方：2026-12-01 10:00（北京时间）送达，已签名"
    assert lines[1] == "乙方：2026-12-01 10:00（北京时间）送达，拒绝签名（认为对方全责）"
    assert lines[2].startswith("丙方签名：________________")
    assert lines[3].startswith("签收情况：□已签名")


async def test_the_document_is_a_download_named_after_the_case(client, app_headers, decide) -> None:
    case = await decide(parties=2, agreement=False)

    response = await client.get(DOCUMENT.format(case["id"]), headers=app_headers)

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == (
        f'attachment; filename="{case["number"]}.pdf"'
    )
    assert response.content.startswith(b"%PDF-")
    assert re.fullmatch(r"[0-9a-f]{64}", response.headers["x-verification-hash"])


def test_openapi_offers_the_document_as_a_binary_pdf_and_the_next_case(app) -> None:
    paths = app.openapi()["paths"]
    document = paths["/v1/cases/{case_id}/decision/document"]["get"]
    next_case = paths["/v1/centers/{center_id}/queue/next"]["post"]

    assert document["responses"]["200"]["content"] == {
        "application/pdf": {"schema": {"type": "string", "format": "binary"}}
    }
    assert "Content-Disposition" in document["responses"]["200"]["headers"]
    assert next_case["operationId"] == "claimNextCase"
    assert next_case["summary"] == "领取下一起案件 · Claim the next case"
    assert "204" in next_case["responses"]
    assert next_case["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/CaseRead"
    }


@pytest.mark.parametrize(
    ("filename", "header"),
    [
        ("LC20261128-0001.pdf", 'attachment; filename="LC20261128-0001.pdf"'),
        (
            "认定书 LC1.pdf",
            'attachment; filename="___ LC1.pdf"; '
            "filename*=UTF-8''%E8%AE%A4%E5%AE%9A%E4%B9%A6%20LC1.pdf",
        ),
        ('a"b\\c.pdf', "attachment; filename=\"a_b_c.pdf\"; filename*=UTF-8''a%22b%5Cc.pdf"),
    ],
)
def test_content_disposition_follows_rfc_6266(filename: str, header: str) -> None:
    from accident_online.kit.content_disposition import attachment

    assert attachment(filename) == header


def test_the_default_font_is_the_installed_cjk_truetype_font() -> None:
    path = Settings.model_fields["document_font_path"].default
    assert isinstance(path, Path)
    assert path.is_file()
    cmap = TTCollection(str(path)).fonts[0].getBestCmap()
    assert all(ord(char) in cmap for char in "道路交通事故认定书甲乙丙方签名警号（）：·")

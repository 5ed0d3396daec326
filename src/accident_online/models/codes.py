"""The code lists of the accident record (DOMAIN.md "The record and the documents"), each
code with the Chinese name the documents print. Codes are stable: clients send them.

Sources: the 事故形态 and 碰撞部位 lists follow the 道路交通事故信息采集 practice the 12123
快处 forms use; vehicle types are GA 802-2019 (机动车类型) codes; weather, road surface and
light follow the 道路交通事故认定书 (简易程序) record of the scene.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Final


class AccidentForm(StrEnum):
    """事故形态."""

    rear_end = "rear_end"
    sideswipe = "sideswipe"
    side_impact = "side_impact"
    head_on = "head_on"
    reversing = "reversing"
    door_opening = "door_opening"
    other = "other"


class CollisionPoint(StrEnum):
    """碰撞部位 of one vehicle."""

    front = "front"
    rear = "rear"
    left_front = "left_front"
    left_middle = "left_middle"
    left_rear = "left_rear"
    right_front = "right_front"
    right_middle = "right_middle"
    right_rear = "right_rear"
    roof = "roof"
    other = "other"


class Weather(StrEnum):
    """天气."""

    clear = "clear"
    cloudy = "cloudy"
    overcast = "overcast"
    rain = "rain"
    snow = "snow"
    fog = "fog"
    haze = "haze"
    wind = "wind"
    sand_dust = "sand_dust"
    hail = "hail"
    other = "other"


class RoadSurface(StrEnum):
    """路面状况."""

    dry = "dry"
    wet = "wet"
    standing_water = "standing_water"
    snow = "snow"
    ice = "ice"
    other = "other"


class Light(StrEnum):
    """照明条件."""

    daylight = "daylight"
    dawn_dusk = "dawn_dusk"
    night_lit = "night_lit"
    night_unlit = "night_unlit"


ACCIDENT_FORM_NAMES: Final[Mapping[AccidentForm, str]] = MappingProxyType(
    {
        AccidentForm.rear_end: "追尾",
        AccidentForm.sideswipe: "刮擦",
        AccidentForm.side_impact: "侧面碰撞",
        AccidentForm.head_on: "正面碰撞",
        AccidentForm.reversing: "倒车",
        AccidentForm.door_opening: "开关车门",
        AccidentForm.other: "其他",
    }
)
COLLISION_POINT_NAMES: Final[Mapping[CollisionPoint, str]] = MappingProxyType(
    {
        CollisionPoint.front: "正前部",
        CollisionPoint.rear: "正后部",
        CollisionPoint.left_front: "左前部",
        CollisionPoint.left_middle: "左中部",
        CollisionPoint.left_rear: "左后部",
        CollisionPoint.right_front: "右前部",
        CollisionPoint.right_middle: "右中部",
        CollisionPoint.right_rear: "右后部",
        CollisionPoint.roof: "顶部",
        CollisionPoint.other: "其他",
    }
)
WEATHER_NAMES: Final[Mapping[Weather, str]] = MappingProxyType(
    {
        Weather.clear: "晴",
        Weather.cloudy: "多云",
        Weather.overcast: "阴",
        Weather.rain: "雨",
        Weather.snow: "雪",
        Weather.fog: "雾",
        Weather.haze: "霾",
        Weather.wind: "大风",
        Weather.sand_dust: "沙尘",
        Weather.hail: "冰雹",
        Weather.other: "其他",
    }
)
ROAD_SURFACE_NAMES: Final[Mapping[RoadSurface, str]] = MappingProxyType(
    {
        RoadSurface.dry: "干燥",
        RoadSurface.wet: "潮湿",
        RoadSurface.standing_water: "积水",
        RoadSurface.snow: "积雪",
        RoadSurface.ice: "结冰",
        RoadSurface.other: "其他",
    }
)
LIGHT_NAMES: Final[Mapping[Light, str]] = MappingProxyType(
    {
        Light.daylight: "白天",
        Light.dawn_dusk: "黎明或黄昏",
        Light.night_lit: "夜间有路灯照明",
        Light.night_unlit: "夜间无路灯照明",
    }
)

# GA 802-2019 机动车类型: the codes an online report meets (cars, vans, lorries, motorcycles).
VEHICLE_TYPE_NAMES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "K11": "大型普通客车",
        "K21": "中型普通客车",
        "K31": "小型普通客车",
        "K32": "小型越野客车",
        "K33": "小型轿车",
        "K34": "小型专用客车",
        "K41": "微型普通客车",
        "K42": "微型越野客车",
        "K43": "微型轿车",
        "H11": "重型普通货车",
        "H21": "中型普通货车",
        "H31": "轻型普通货车",
        "H41": "微型普通货车",
        "Q11": "重型半挂牵引车",
        "M21": "普通二轮摩托车",
        "M22": "轻便二轮摩托车",
        "N11": "三轮汽车",
        "X99": "其他",
    }
)
VEHICLE_TYPE_BY_NAME: Final[Mapping[str, str]] = MappingProxyType(
    {name: code for code, name in VEHICLE_TYPE_NAMES.items()}
)
# Reports before the code list named the vehicle type in words; the common ones map.
VEHICLE_TYPE_ALIASES: Final[Mapping[str, str]] = MappingProxyType(
    {**VEHICLE_TYPE_BY_NAME, "轿车": "K33", "小型客车": "K31", "小型汽车": "K33"}
)


def vehicle_type_name(code: str) -> str:
    """The Chinese name of a vehicle type code; an old record's words as they were."""
    return VEHICLE_TYPE_NAMES.get(code, code)

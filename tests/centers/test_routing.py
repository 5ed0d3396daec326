from datetime import UTC, datetime, time, timedelta, timezone

import pytest

from accident_online.centers.routing import (
    CenterSnapshot,
    RoutingDecision,
    RoutingReason,
    ServiceHours,
    UnknownDistrict,
    route_to_center,
)

ALL_DAY = ServiceHours(opens=time(0), closes=time(0))
OFFICE = ServiceHours(opens=time(8, 30), closes=time(17, 30))
NIGHT = ServiceHours(opens=time(22), closes=time(6))
SHANGHAI = timezone(timedelta(hours=8))

# 10:00 in Liaocheng.
MORNING = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)


def center(
    center_id: str,
    *districts: str,
    online: bool = True,
    capacity: int = 10,
    queue: int = 0,
    hours: ServiceHours = ALL_DAY,
) -> CenterSnapshot:
    return CenterSnapshot(
        id=center_id,
        districts=frozenset(districts),
        online=online,
        capacity=capacity,
        queue_depth=queue,
        hours=hours,
    )


@pytest.mark.parametrize(
    ("hours", "at", "is_open"),
    [
        (OFFICE, datetime(2026, 11, 28, 8, 30, tzinfo=SHANGHAI), True),
        (OFFICE, datetime(2026, 11, 28, 17, 29, tzinfo=SHANGHAI), True),
        (OFFICE, datetime(2026, 11, 28, 17, 30, tzinfo=SHANGHAI), False),
        (OFFICE, datetime(2026, 11, 28, 8, 29, tzinfo=SHANGHAI), False),
        # 23:30 UTC is 07:30 next day in Liaocheng: before opening, though UTC says evening.
        (OFFICE, datetime(2026, 11, 28, 23, 30, tzinfo=UTC), False),
        # 01:00 UTC is 09:00 in Liaocheng.
        (OFFICE, datetime(2026, 11, 28, 1, 0, tzinfo=UTC), True),
        # 10:00 UTC is 18:00 in Liaocheng.
        (OFFICE, datetime(2026, 11, 28, 10, 0, tzinfo=UTC), False),
        (NIGHT, datetime(2026, 11, 28, 23, 0, tzinfo=SHANGHAI), True),
        (NIGHT, datetime(2026, 11, 29, 0, 0, tzinfo=SHANGHAI), True),
        (NIGHT, datetime(2026, 11, 29, 5, 59, tzinfo=SHANGHAI), True),
        (NIGHT, datetime(2026, 11, 29, 6, 0, tzinfo=SHANGHAI), False),
        (NIGHT, datetime(2026, 11, 28, 12, 0, tzinfo=SHANGHAI), False),
        (NIGHT, datetime(2026, 11, 28, 21, 59, tzinfo=SHANGHAI), False),
        # 14:30 UTC is 22:30 in Liaocheng.
        (NIGHT, datetime(2026, 11, 28, 14, 30, tzinfo=UTC), True),
        (ALL_DAY, datetime(2026, 11, 28, 3, 0, tzinfo=SHANGHAI), True),
        (ALL_DAY, datetime(2026, 11, 28, 15, 0, tzinfo=UTC), True),
    ],
)
def test_service_hours(hours: ServiceHours, at: datetime, is_open: bool) -> None:
    assert hours.is_open(at) is is_open


def test_service_hours_refuse_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        OFFICE.is_open(datetime(2026, 11, 28, 10, 0))  # noqa: DTZ001


@pytest.mark.parametrize(
    ("centers", "at", "expected"),
    [
        pytest.param(
            [center("dcf", "371502"), center("lq", "371581")],
            MORNING,
            RoutingDecision("dcf", RoutingReason.JURISDICTION, "dcf"),
            id="jurisdiction",
        ),
        pytest.param(
            [center("dcf", "371502", "kfq", "gxq"), center("lq", "371581")],
            MORNING,
            RoutingDecision("dcf", RoutingReason.JURISDICTION, "dcf"),
            id="jurisdiction-among-several-districts",
        ),
        pytest.param(
            [center("dcf", "371502", capacity=10, queue=9), center("lq", "371581")],
            MORNING,
            RoutingDecision("dcf", RoutingReason.JURISDICTION, "dcf"),
            id="one-place-left-is-not-full",
        ),
        pytest.param(
            [center("dcf", "371502", capacity=10, queue=10), center("lq", "371581")],
            MORNING,
            RoutingDecision("lq", RoutingReason.OVERFLOW, "dcf"),
            id="overflow-at-capacity",
        ),
        pytest.param(
            [center("dcf", "371502", capacity=10, queue=12), center("lq", "371581")],
            MORNING,
            RoutingDecision("lq", RoutingReason.OVERFLOW, "dcf"),
            id="overflow-over-capacity",
        ),
        pytest.param(
            [center("dcf", "371502", capacity=0), center("lq", "371581")],
            MORNING,
            RoutingDecision("lq", RoutingReason.OVERFLOW, "dcf"),
            id="capacity-zero-is-always-full",
        ),
        pytest.param(
            [center("dcf", "371502", online=False), center("lq", "371581")],
            MORNING,
            RoutingDecision("lq", RoutingReason.OFFLINE, "dcf"),
            id="offline",
        ),
        pytest.param(
            [
                center("dcf", "371502", online=False, hours=OFFICE, queue=10),
                center("lq", "371581"),
            ],
            datetime(2026, 11, 28, 23, 30, tzinfo=UTC),
            RoutingDecision("lq", RoutingReason.OFFLINE, "dcf"),
            id="offline-named-before-closed-and-full",
        ),
        pytest.param(
            [center("dcf", "371502", hours=OFFICE, queue=10), center("lq", "371581")],
            datetime(2026, 11, 28, 23, 30, tzinfo=UTC),
            RoutingDecision("lq", RoutingReason.CLOSED, "dcf"),
            id="closed-named-before-full",
        ),
        pytest.param(
            [center("dcf", "371502", hours=OFFICE), center("lq", "371581")],
            datetime(2026, 11, 28, 23, 30, tzinfo=UTC),  # 07:30 in Liaocheng
            RoutingDecision("lq", RoutingReason.CLOSED, "dcf"),
            id="closed-in-local-time",
        ),
        pytest.param(
            [center("dcf", "371502", hours=OFFICE), center("lq", "371581")],
            datetime(2026, 11, 29, 0, 30, tzinfo=UTC),  # 08:30 in Liaocheng
            RoutingDecision("dcf", RoutingReason.JURISDICTION, "dcf"),
            id="open-at-opening-time",
        ),
        pytest.param(
            [
                center("dcf", "371502", hours=OFFICE),
                center("lq", "371581", hours=OFFICE),
                center("night", "371503", hours=NIGHT),
            ],
            datetime(2026, 11, 28, 16, 0, tzinfo=UTC),  # 00:00 in Liaocheng
            RoutingDecision("night", RoutingReason.CLOSED, "dcf"),
            id="closed-to-a-center-open-past-midnight",
        ),
        pytest.param(
            [
                center("dcf", "371502", hours=OFFICE),
                center("night", "371503", hours=NIGHT),
            ],
            datetime(2026, 11, 28, 22, 0, tzinfo=UTC),  # 06:00 in Liaocheng
            RoutingDecision("dcf", RoutingReason.NO_CENTER_OPEN, "dcf"),
            id="night-window-closes-before-office-opens",
        ),
        pytest.param(
            [
                center("dcf", "371502", online=False),
                center("lq", "371581", capacity=5, queue=5),
                center("gt", "371526", hours=OFFICE),
                center("sx", "371522", online=False),
            ],
            datetime(2026, 11, 28, 14, 0, tzinfo=UTC),  # 22:00 in Liaocheng
            RoutingDecision("dcf", RoutingReason.NO_CENTER_OPEN, "dcf"),
            id="none-open-takes-home-anyway",
        ),
        pytest.param(
            [center("dcf", "371502", capacity=0)],
            MORNING,
            RoutingDecision("dcf", RoutingReason.NO_CENTER_OPEN, "dcf"),
            id="only-center-full",
        ),
        pytest.param(
            [
                center("dcf", "371502", online=False),
                center("lq", "371581", capacity=10, queue=5),
                center("gt", "371526", capacity=10, queue=2),
                center("sx", "371522", capacity=4, queue=1),
            ],
            MORNING,
            RoutingDecision("gt", RoutingReason.OFFLINE, "dcf"),
            id="lowest-load-wins",
        ),
        pytest.param(
            [
                center("dcf", "371502", online=False),
                center("big", "371581", capacity=20, queue=10),
                center("small", "371526", capacity=3, queue=2),
            ],
            MORNING,
            RoutingDecision("big", RoutingReason.OFFLINE, "dcf"),
            id="load-is-relative-to-capacity-not-queue-length",
        ),
        pytest.param(
            [
                center("dcf", "371502", online=False),
                center("zz", "371581", capacity=3, queue=1),
                center("gt", "371526", capacity=6, queue=2),
                center("mm", "371522", capacity=9, queue=3),
            ],
            MORNING,
            RoutingDecision("gt", RoutingReason.OFFLINE, "dcf"),
            id="equal-load-ties-broken-by-id",
        ),
        pytest.param(
            [
                center("dcf", "371502", capacity=2, queue=2),
                center("b", "371581", online=False),
                center("c", "371526", hours=OFFICE),
                center("d", "371522", capacity=4, queue=4),
                center("e", "371524", capacity=4, queue=3),
            ],
            datetime(2026, 11, 28, 12, 0, tzinfo=UTC),  # 20:00 in Liaocheng
            RoutingDecision("e", RoutingReason.OVERFLOW, "dcf"),
            id="only-open-online-centers-with-room-are-candidates",
        ),
    ],
)
def test_route_to_center(
    centers: list[CenterSnapshot], at: datetime, expected: RoutingDecision
) -> None:
    assert route_to_center(district="371502", at=at, centers=centers) == expected


def test_order_of_centers_does_not_matter() -> None:
    centers = [
        center("dcf", "371502", online=False),
        center("b", "371581", capacity=2, queue=1),
        center("a", "371526", capacity=4, queue=2),
    ]
    decisions = {
        route_to_center(district="371502", at=MORNING, centers=ordering)
        for ordering in (centers, centers[::-1])
    }
    assert decisions == {RoutingDecision("a", RoutingReason.OFFLINE, "dcf")}


@pytest.mark.parametrize("district", ["371599", "", "kfq"])
def test_unknown_district(district: str) -> None:
    centers = [center("dcf", "371502"), center("lq", "371581")]
    with pytest.raises(UnknownDistrict, match="no liability center") as raised:
        route_to_center(district=district, at=MORNING, centers=centers)
    assert raised.value.district == district
    assert isinstance(raised.value, ValueError)


def test_no_centers_at_all_is_an_unknown_district() -> None:
    with pytest.raises(UnknownDistrict):
        route_to_center(district="371502", at=MORNING, centers=[])


def test_routing_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        route_to_center(
            district="371502",
            at=datetime(2026, 11, 28, 10, 0),  # noqa: DTZ001
            centers=[center("dcf", "371502", online=False)],
        )


def test_reasons_are_the_stored_strings() -> None:
    assert {reason.value for reason in RoutingReason} == {
        "jurisdiction",
        "overflow",
        "closed",
        "offline",
        "no_center_open",
    }
    assert str(RoutingReason.NO_CENTER_OPEN) == "no_center_open"

"""Times typed on a course's clocks, as instants: pure functions over ``zoneinfo``, no ORM.

Instructors enter deadlines and exam windows as the wall-clock time of the course's zone
(``Course.time_zone``); the database keeps UTC. Two days a year a wall-clock time is not one
instant:

- on the night the clocks go forward, a time in the skipped hour does not exist
  (``2026-03-29 02:30`` in ``Europe/Paris``): ``NonexistentLocalTime``, naming the jump;
- on the night they go back, a time in the repeated hour happens twice
  (``2026-10-25 02:30`` in ``Europe/Paris``: first CEST, then CET): ``AmbiguousLocalTime``,
  with the two ``options``, unless the caller says which (``fold``: 0 the first, 1 the second,
  as PEP 495 numbers them).

Nothing here guesses: a time that is not exactly one instant is refused until a person decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

FIRST, SECOND = 0, 1


class LocalTimeError(ValueError):
    """A wall-clock time that is not exactly one instant in its zone."""


class NonexistentLocalTime(LocalTimeError):
    def __init__(self, local: datetime, zone: str, *, jump_from: datetime, jump_to: datetime):
        self.local, self.zone = local, zone
        self.jump_from, self.jump_to = jump_from, jump_to
        shape = "%H:%M" if jump_from.date() == jump_to.date() else "%Y-%m-%d %H:%M"
        start, end = jump_from.strftime(shape), jump_to.strftime(shape)
        super().__init__(
            f"{_wall(local)} does not exist in {zone}: the clocks jump from {start} "
            f"{jump_from.tzname()} to {end} {jump_to.tzname()}. Enter a time before {start} "
            f"or from {end}."
        )


@dataclass(frozen=True)
class LocalTimeOption:
    """One of the two instants an ambiguous wall-clock time can be."""

    fold: int
    instant: datetime  # aware, UTC
    local: datetime  # aware, in the zone (its offset and abbreviation tell the two apart)

    @property
    def label(self) -> str:
        which = "the first" if self.fold == FIRST else "the second"
        return f"{which} ({self.local:%H:%M} {self.local.tzname()}, {_offset(self.local)})"


class AmbiguousLocalTime(LocalTimeError):
    def __init__(self, local: datetime, zone: str, options: tuple[LocalTimeOption, ...]):
        self.local, self.zone, self.options = local, zone, options
        first, second = options
        super().__init__(
            f"{_wall(local)} happens twice in {zone}: the clocks go back that night, so it is "
            f"first {first.local.tzname()} ({_offset(first.local)}), then "
            f"{second.local.tzname()} ({_offset(second.local)}). Choose which."
        )


def to_utc(local: datetime, zone: str, *, fold: int | None = None) -> datetime:
    """The instant (aware, UTC) that wall-clock ``local`` (naive) is in ``zone``.

    ``fold`` picks one of the two instants of an ambiguous time (0 the first, 1 the second);
    it is ignored for every other time. An unknown zone raises ``ZoneInfoNotFoundError``.
    """
    if local.tzinfo is not None:
        raise ValueError(f"{local!r} is aware: pass the wall-clock time without a zone.")
    tz = ZoneInfo(zone)
    first = local.replace(tzinfo=tz, fold=FIRST)
    second = local.replace(tzinfo=tz, fold=SECOND)
    if first.utcoffset() == second.utcoffset():
        return first.astimezone(UTC)
    if _wall_of(first.astimezone(UTC), tz) != local:
        raise NonexistentLocalTime(local, zone, **_jump(local, tz))
    options = tuple(
        LocalTimeOption(fold=f, instant=value.astimezone(UTC), local=value)
        for f, value in ((FIRST, first), (SECOND, second))
    )
    if fold in (FIRST, SECOND):
        return options[fold].instant
    raise AmbiguousLocalTime(local, zone, options)


def to_local(value: datetime, zone: str) -> datetime:
    """The wall-clock time (naive) of instant ``value`` in ``zone``; ``fold`` tells a repeated
    hour's second occurrence (``to_utc(to_local(v, z), z, fold=to_local(v, z).fold) == v``)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{value!r} is naive: pass an aware datetime.")
    return value.astimezone(ZoneInfo(zone)).replace(tzinfo=None)


def is_ambiguous(local: datetime, zone: str) -> bool:
    """Whether wall-clock ``local`` happens twice in ``zone``."""
    try:
        to_utc(local.replace(fold=FIRST), zone)
    except AmbiguousLocalTime:
        return True
    except NonexistentLocalTime:
        return False
    return False


def _wall_of(instant: datetime, tz: ZoneInfo) -> datetime:
    return instant.astimezone(tz).replace(tzinfo=None, fold=0)


def _jump(local: datetime, tz: ZoneInfo) -> dict:
    """The wall-clock times just before and at the transition that skips ``local``.

    The transition lies between the two instants the skipped time would be under the offsets
    before and after it; bisection to the second finds it (zoneinfo does not expose it).
    """
    low = local.replace(tzinfo=tz, fold=SECOND).astimezone(UTC)  # offset after: earlier instant
    high = local.replace(tzinfo=tz, fold=FIRST).astimezone(UTC)
    before = low.astimezone(tz).utcoffset()
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if middle.astimezone(tz).utcoffset() == before:
            low = middle
        else:
            high = middle
    transition = high.replace(microsecond=0)
    return {
        "jump_from": (transition - timedelta(microseconds=1)).astimezone(tz)
        + timedelta(microseconds=1),
        "jump_to": transition.astimezone(tz),
    }


def _wall(local: datetime) -> str:
    return f"{local:%Y-%m-%d %H:%M}" + (f":{local:%S}" if local.second else "")


def _offset(value: datetime) -> str:
    offset = value.utcoffset() or timedelta(0)
    sign = "-" if offset < timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    return f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"

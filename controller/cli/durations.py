"""Durations on the command line: 90, 90s, 15m, 1h, 1.5h."""

from __future__ import annotations

import re

from controller.errors import SoakError

UNITS = {"": 1.0, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def parse_duration(text: str, option: str) -> float:
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", text.lower())
    if not match or float(match.group(1)) <= 0:
        raise SoakError(f"{option} {text!r} is not a duration", fix="give a positive number with s, m, h or d, e.g. 60s")
    return float(match.group(1)) * UNITS[match.group(2)]

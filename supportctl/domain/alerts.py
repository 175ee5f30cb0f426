"""Monitoring alerts as supportctl reads them: one `Payload` of `Alert`s per webhook body.

Pure: no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime

FORMATS = ("alertmanager", "grafana", "zabbix", "generic")


@dataclass(frozen=True)
class Alert:
    identity: str
    status: str
    labels: Mapping[str, str]
    annotations: Mapping[str, str]
    starts_at: datetime | None
    ends_at: datetime | None
    title: str
    description: str
    url: str | None
    values: Mapping[str, str]
    severity: str | None


@dataclass(frozen=True)
class Payload:
    format: str
    alerts: tuple[Alert, ...]
    truncated: int
    group_key: str | None
    receiver: str | None

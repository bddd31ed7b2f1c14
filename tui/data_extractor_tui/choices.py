"""What the user changed on the plan screen, and the config a run takes with those changes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass

from pydantic import ValidationError

from data_extractor.config.models import ExtractorConfig, PartitioningConfig
from data_extractor.errors import UserError


@dataclass(frozen=True)
class PlanChoice:
    """Overrides of one table's partitioning; None keeps what the config says."""

    strategy: str | None = None
    partitions: int | None = None
    column: str | None = None

    @property
    def overrides(self) -> dict[str, object]:
        return {k: v for k, v in asdict(self).items() if v is not None}


def configured_strategy(config: ExtractorConfig, table: str) -> str:
    return config.partitioning_for(config.table(table)).strategy


def with_choices(config: ExtractorConfig, choices: Mapping[str, PlanChoice]) -> ExtractorConfig:
    """`config` with each chosen table's partitioning overridden (its other keys kept).

    The engine's `start()` plans each table from the config, so the plan the user saw is
    passed on this way.
    """
    tables = list(config.tables)
    for name, choice in choices.items():
        if not choice.overrides:
            continue
        entry = config.table(name)
        base = entry.partitioning.model_dump(exclude_unset=True) if entry.partitioning else {}
        try:
            part = PartitioningConfig(**{**base, **choice.overrides})
        except ValidationError as exc:
            err = exc.errors()[0]
            raise UserError(f"{name}: {err['loc'][0]} {err['input']!r} is not valid: {err['msg']}") from None
        updated = entry.model_copy(update={"partitioning": part})
        index = next((i for i, t in enumerate(tables) if t is entry), None)
        if index is None:
            tables.append(updated)
        else:
            tables[index] = updated
    return config.model_copy(update={"tables": tables})

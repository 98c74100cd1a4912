"""Ownership: who holds whom, effective interests and the consolidation method (IFRS 10, IAS 28).

Each entity names its direct parent and the parent's direct share. The top parent's effective
interest in an entity is the product of the direct shares along the chain; the non-controlling
interest (NCI) in a subsidiary's results is ``1 − effective``: its direct minority plus the
indirect one held through the minorities of intermediate subsidiaries.

Example: HOLD owns 80% of A, A owns 60% of B. HOLD's effective interest in B is 0.8 × 0.6 =
48%, so 52% of B's post-acquisition profit is NCI (40% direct, 12% indirect through A's 20%).

Methods: ``full`` (line-by-line, investment eliminated, NCI), ``equity`` (an associate: share of
profit and OCI/CTA picked up on the investment line), ``none`` (left at cost). An entity below an
entity that is not fully consolidated is not consolidated either (it reaches the group through
its holder's investment).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from close.config import EntityConfig
from close.engine.money import ONE, ZERO
from close.engine.types import EntityId
from close.errors import ConfigError

METHODS = frozenset({"full", "equity", "none"})


@dataclass(frozen=True, slots=True)
class Holding:
    """An entity's place in the group.

    ``method`` is ``parent`` for the top parent, else the method actually applied (an entity
    under a non-consolidated holder is ``none`` whatever its config says).
    """

    entity: EntityId
    parent: EntityId | None
    direct: Decimal  # the direct parent's share
    effective: Decimal  # the top parent's effective interest
    parent_effective: Decimal  # the top parent's effective interest in the direct parent
    method: str
    depth: int  # 0 for the top parent

    @property
    def nci(self) -> Decimal:
        """Return the non-controlling interest in the entity (1 − effective interest)."""
        return ONE - self.effective


def compute_ownership(entities: Iterable[EntityConfig]) -> dict[EntityId, Holding]:
    """Compute every entity's effective interest and consolidation method.

    Args:
        entities: the group's entities (exactly one without a parent).

    Returns:
        Holdings by entity id, in an order where a parent comes before its subsidiaries.

    Raises:
        ConfigError: for an ownership outside 0 < x <= 1, an unknown method or parent, a cycle,
            or not exactly one top parent; the message names the entity.

    """
    by_id: dict[EntityId, EntityConfig] = {}
    for e in entities:
        if e.id in by_id:
            raise ConfigError(f"entity {e.id} appears twice", key="entities.id")
        by_id[e.id] = e
        if not isinstance(e.ownership, Decimal) or not ZERO < e.ownership <= ONE:
            raise ConfigError(
                f"entity {e.id}: ownership {e.ownership} is outside 0 < x <= 1 (100%)",
                key=f"entities[{e.id}].ownership",
                expected='a fraction 0 < x <= 1, such as "0.8"',
            )
        if e.method not in METHODS:
            raise ConfigError(
                f"entity {e.id}: unknown consolidation method {e.method!r}",
                key=f"entities[{e.id}].method",
                expected="full | equity | none",
            )
    tops = [e.id for e in by_id.values() if e.parent is None]
    if len(tops) != 1:
        raise ConfigError(
            f"found {len(tops)} entities without a parent: {tops}",
            key="entities.parent",
            expected="exactly one top parent",
        )
    out: dict[EntityId, Holding] = {}

    def resolve(eid: EntityId, trail: tuple[EntityId, ...]) -> Holding:
        if eid in out:
            return out[eid]
        if eid in trail:
            raise ConfigError(f"ownership cycle through entity {eid}", key="entities.parent")
        e = by_id[eid]
        if e.parent is None:
            h = Holding(eid, None, ONE, ONE, ONE, "parent", 0)
        else:
            if e.parent not in by_id:
                raise ConfigError(
                    f"entity {eid} names parent {e.parent!r}, which is not in the group",
                    key=f"entities[{eid}].parent",
                    expected="an entity id of this group",
                )
            p = resolve(e.parent, (*trail, eid))
            method = e.method if p.method in ("parent", "full") else "none"
            h = Holding(
                eid, e.parent, e.ownership, p.effective * e.ownership, p.effective, method, p.depth + 1
            )
        out[eid] = h
        return h

    for eid in by_id:
        resolve(eid, ())
    return dict(sorted(out.items(), key=lambda kv: (kv[1].depth, kv[0])))


def consolidated_entities(holdings: dict[EntityId, Holding]) -> frozenset[EntityId]:
    """Return the entities consolidated line by line (the top parent and ``full`` subsidiaries)."""
    return frozenset(e for e, h in holdings.items() if h.method in ("parent", "full"))

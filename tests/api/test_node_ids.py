"""Each Node type knows its id attribute once the schema is built (no annotation scan per row)."""

from __future__ import annotations

from strawberry import relay

from api.schema import schema


def test_every_node_type_has_its_id_attribute_cached():
    nodes = []
    for name in schema._schema.type_map:
        definition = schema.get_type_by_name(name)
        origin = getattr(definition, "origin", None)
        if isinstance(origin, type) and issubclass(origin, relay.Node) and not definition.is_interface:
            nodes.append(origin)
    assert len(nodes) > 30
    uncached = [cls.__name__ for cls in nodes if cls.__dict__.get("_id_attr") is None]
    assert uncached == []
    assert {cls.__dict__["_id_attr"] for cls in nodes} == {"pk"}

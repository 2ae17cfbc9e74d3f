"""A reader for OpenVINO IR v10/v11 files: the XML graph plus the raw little-endian .bin of constants.

Only what a weight converter needs: layers with their attributes, the edges between output and input
ports, and constant tensors as numpy arrays. No OpenVINO runtime is involved.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

_DTYPES = {
    "f32": np.float32, "f16": np.float16, "f64": np.float64,
    "i64": np.int64, "i32": np.int32, "i8": np.int8, "u8": np.uint8, "boolean": np.bool_,
}


@dataclass
class Layer:
    id: str
    type: str
    name: str
    attrs: dict[str, str]
    # inputs[port] = (source layer id, source output port)
    inputs: dict[int, tuple[str, int]] = field(default_factory=dict)
    # consumers of this layer's outputs: (output port, consumer layer id, consumer input port)
    consumers: list[tuple[int, str, int]] = field(default_factory=list)
    output_ports: list[int] = field(default_factory=list)
    output_shapes: list[tuple[int, ...]] = field(default_factory=list)


class IRGraph:
    """An OpenVINO IR graph with access to its constants."""

    def __init__(self, xml_path: Path, bin_path: Path):
        root = ET.parse(xml_path).getroot()
        if root.tag != "net":
            raise ValueError(f"{xml_path} is not an OpenVINO IR file (root <{root.tag}>)")
        self.blob = np.fromfile(bin_path, dtype=np.uint8)
        self.layers: dict[str, Layer] = {}
        for node in root.find("layers"):
            data = node.find("data")
            layer = Layer(node.get("id"), node.get("type"), node.get("name"),
                          dict(data.attrib) if data is not None else {})
            out = node.find("output")
            for port in out if out is not None else []:
                layer.output_ports.append(int(port.get("id")))
                layer.output_shapes.append(tuple(int(d.text) for d in port.findall("dim")))
            self.layers[layer.id] = layer
        for edge in root.find("edges"):
            src, src_port = edge.get("from-layer"), int(edge.get("from-port"))
            dst, dst_port = edge.get("to-layer"), int(edge.get("to-port"))
            self.layers[dst].inputs[dst_port] = (src, src_port)
            self.layers[src].consumers.append((src_port, dst, dst_port))
        # Layer ids in IR files are not guaranteed to be topological; sort once.
        self.order = self._topological_order()

    def _topological_order(self) -> list[str]:
        indegree = {lid: len(l.inputs) for lid, l in self.layers.items()}
        ready = sorted((lid for lid, d in indegree.items() if d == 0), key=int)
        order: list[str] = []
        while ready:
            lid = ready.pop(0)
            order.append(lid)
            for _, dst, _ in self.layers[lid].consumers:
                indegree[dst] -= 1
                if indegree[dst] == 0:
                    ready.append(dst)
            ready.sort(key=int)
        if len(order) != len(self.layers):
            raise ValueError("IR graph has a cycle")
        return order

    def input(self, layer: Layer, port: int) -> Layer:
        """The layer feeding `layer`'s input `port`."""
        return self.layers[layer.inputs[port][0]]

    def input_ports(self, layer: Layer) -> list[Layer]:
        return [self.input(layer, p) for p in sorted(layer.inputs)]

    def is_const(self, layer: Layer) -> bool:
        return layer.type == "Const"

    def const(self, layer: Layer) -> np.ndarray:
        """The constant tensor a Const layer holds (a copy, writable)."""
        if layer.type != "Const":
            raise ValueError(f"layer {layer.name} ({layer.type}) is not a constant")
        dtype = _DTYPES[layer.attrs["element_type"]]
        offset, size = int(layer.attrs["offset"]), int(layer.attrs["size"])
        shape_attr = layer.attrs.get("shape", "")
        shape = tuple(int(s) for s in shape_attr.split(",")) if shape_attr.strip() else ()
        raw = self.blob[offset:offset + size]
        if raw.size != size:
            raise ValueError(f"constant {layer.name} reaches past the end of the .bin file")
        return raw.view(dtype).reshape(shape).copy()

    def by_type(self, type_: str) -> list[Layer]:
        return [self.layers[lid] for lid in self.order if self.layers[lid].type == type_]

    def descendants(self, start: Layer) -> set[str]:
        seen: set[str] = set()
        stack = [start.id]
        while stack:
            lid = stack.pop()
            for _, dst, _ in self.layers[lid].consumers:
                if dst not in seen:
                    seen.add(dst)
                    stack.append(dst)
        return seen

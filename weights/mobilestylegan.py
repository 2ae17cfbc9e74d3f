"""MobileStyleGAN OpenVINO IR (random-face package) -> state dict of `render.mobilestylegan.MobileStyleGAN`.

Pointwise weights and noise constants in the IR are unnamed, so the converter does not go by names: it
walks the image path of the synthesis graph in topological order, turns each operation into a token
(modulation, conv, depthwise conv, noise, bias, activation, inverse wavelet), checks the token sequence
against the architecture, and assigns tensors by position. Any other graph is rejected with the place
where it differs.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from weights.openvino_ir import IRGraph, Layer

HAAR_TAP = np.float32(0.70710677)


def _affine(g: IRGraph, node: Layer) -> dict[str, np.ndarray]:
    """Parse style -> MatMul -> Add(bias) -> Reshape [-> Multiply(gain)] into weight, bias, gain."""
    gain = np.float32(1.0)
    if node.type == "Multiply":
        a, b = g.input_ports(node)
        const, node = (a, b) if g.is_const(a) else (b, a)
        gain = g.const(const).reshape(())
    if node.type != "Reshape":
        raise ValueError(f"expected a style affine ending in Reshape, found {node.type} {node.name}")
    add = g.input(node, 0)
    matmul, bias = g.input_ports(add)
    if matmul.type != "MatMul" or matmul.attrs.get("transpose_b") != "true":
        raise ValueError(f"unexpected style affine at {add.name}")
    weight = g.const(g.input(matmul, 1))
    return {"weight": weight, "bias": g.const(bias).reshape(-1), "gain": np.asarray(gain, np.float32)}


def _check_haar(g: IRGraph) -> None:
    for layer in g.by_type("GroupConvolutionBackpropData"):
        taps = g.const(g.input(layer, 1)).reshape(-1, 2)
        lo = np.all(taps == [HAAR_TAP, HAAR_TAP])
        hi = np.all(taps == [HAAR_TAP, -HAAR_TAP])
        if not (lo or hi):
            raise ValueError(f"{layer.name}: inverse wavelet filter is not Haar; this is not the expected graph")


def synthesis_tokens(g: IRGraph) -> tuple[np.ndarray, list[tuple]]:
    """The learned constant input and the image path as a list of (kind, payload) tokens."""
    (tile,) = g.by_type("Tile")
    expand = g.input(tile, 0)
    const = g.const(g.input(expand, 0))
    on_path = {tile.id} | g.descendants(tile)
    tokens: list[tuple] = []
    for lid in g.order:
        if lid not in on_path:
            continue
        layer = g.layers[lid]
        ins = g.input_ports(layer)
        if layer.type == "Multiply":
            # the modulation is the [B, C, 1, 1] operand; the other is the feature map
            (mod,) = [x for x in ins if x.output_shapes[0][2:] == (1, 1)]
            tokens.append(("mod", _affine(g, mod)))
        elif layer.type == "Convolution":
            tokens.append(("conv", g.const(ins[1])))
        elif layer.type == "GroupConvolution":
            w = g.const(ins[1])  # [C, 1, 1, k, k]
            tokens.append(("dw", w.reshape(w.shape[0], 1, *w.shape[-2:])))
        elif layer.type == "Add":
            consts = [x for x in ins if g.is_const(x)]
            if not consts:
                continue  # a sum inside an inverse wavelet
            c = g.const(consts[0])
            kind = "noise" if c.shape[1] == 1 and c.shape[2] > 1 else "bias"
            tokens.append((kind, c))
        elif layer.type == "PReLU":
            tokens.append(("act", float(g.const(ins[1]).reshape(-1)[0])))
        elif layer.type == "VariadicSplit" and ins[0].type != "Reshape":
            tokens.append(("idwt", None))
    return const, tokens


def _expect(tokens: list[tuple], pos: int, kinds: str) -> list:
    got = [t[0] for t in tokens[pos:pos + len(kinds.split())]]
    if got != kinds.split():
        raise ValueError(f"synthesis graph differs from MobileStyleGAN at token {pos}: "
                         f"expected {kinds.split()}, found {got}")
    return [t[1] for t in tokens[pos:pos + len(got)]]


def _affine_sd(prefix: str, a: dict) -> dict[str, np.ndarray]:
    return {f"{prefix}.weight": a["weight"], f"{prefix}.bias": a["bias"], f"{prefix}.gain": a["gain"]}


def convert_synthesis(g: IRGraph, n_blocks: int = 7, slope: float = 0.2) -> dict[str, np.ndarray]:
    _check_haar(g)
    const, tokens = synthesis_tokens(g)
    sd: dict[str, np.ndarray] = {"synthesis.const": const}
    mod, w, noise, bias, act = _expect(tokens, 0, "mod conv noise bias act")
    sd |= _affine_sd("synthesis.conv1.affine", mod)
    sd |= {"synthesis.conv1.weight": w, "synthesis.conv1.noise": noise, "synthesis.conv1.bias": bias}
    acts = [act]
    pos = 5
    for i in range(n_blocks):
        p = f"synthesis.blocks.{i}"
        up, _ = _expect(tokens, pos, "mod idwt")
        sd |= _affine_sd(f"{p}.up", up)
        pos += 2
        for conv in ("conv1", "conv2"):
            mod, dw, pw, noise, bias, act = _expect(tokens, pos, "mod dw conv noise bias act")
            sd |= _affine_sd(f"{p}.{conv}.affine", mod)
            sd |= {f"{p}.{conv}.depthwise": dw, f"{p}.{conv}.pointwise": pw,
                   f"{p}.{conv}.noise": noise, f"{p}.{conv}.bias": bias}
            acts.append(act)
            pos += 6
    mod, w, bias, _ = _expect(tokens, pos, "mod conv bias idwt")
    sd |= _affine_sd("synthesis.to_img.affine", mod)
    sd |= {"synthesis.to_img.weight": w, "synthesis.to_img.bias": bias}
    if pos + 4 != len(tokens):
        raise ValueError(f"synthesis graph has {len(tokens) - pos - 4} unexpected trailing operations")
    if any(abs(a - slope) > 1e-6 for a in acts):
        raise ValueError(f"unexpected LeakyReLU slopes {sorted(set(acts))}")
    return sd


def convert_mapping(g: IRGraph, slope: float = 0.2) -> dict[str, np.ndarray]:
    weights, biases, gains = [], [], []
    for mm in g.by_type("MatMul"):
        weights.append(g.const(g.input(mm, 1)))
        (add,) = [g.layers[dst] for _, dst, _ in mm.consumers if g.layers[dst].type == "Add"]
        biases.append(g.const(g.input(g.input(add, 1), 0)).reshape(-1))
        (act,) = [g.layers[dst] for _, dst, _ in add.consumers]
        if act.type != "PReLU" or abs(float(g.const(g.input(act, 1)).reshape(-1)[0]) - slope) > 1e-6:
            raise ValueError(f"mapping layer {mm.name}: expected LeakyReLU({slope})")
        (mul,) = [g.layers[dst] for _, dst, _ in act.consumers]
        gains.append(g.const(g.input(mul, 1)).reshape(()))
    eps_add = g.by_type("Add")[0]
    eps = g.const(g.input(eps_add, 1)).reshape(())
    return {
        "mapping.weight": np.stack(weights), "mapping.bias": np.stack(biases),
        "mapping.gain": np.asarray(gains, np.float32), "mapping.eps": np.asarray(eps, np.float32),
    }


def convert(files: dict[str, Path], out_dir: Path) -> None:
    """Convert the four IR files into `mobilestylegan.safetensors` in out_dir."""
    from safetensors.numpy import save_file

    def find(suffix: str) -> Path:
        (path,) = [p for name, p in files.items() if name.endswith(suffix)]
        return path

    mapping = IRGraph(find("MappingNetwork.xml"), find("MappingNetwork.bin"))
    synthesis = IRGraph(find("SynthesisNetwork.xml"), find("SynthesisNetwork.bin"))
    sd = convert_mapping(mapping) | convert_synthesis(synthesis)
    sd = {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in sd.items()}
    save_file(sd, str(out_dir / "mobilestylegan.safetensors"),
              metadata={"format": "ohlora.mobilestylegan", "source": "random-face==2021.7.21.1"})

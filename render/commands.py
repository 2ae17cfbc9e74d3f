"""`ohlora render` (a face, a contact sheet or a demo video) and `ohlora bench render|animate|atlas`.

CLI glue: the parsers, and handlers that import what they run. `realtime/cli.py` imports this module to
build its parser, so nothing heavy (torch, the generator, the benchmarks) is imported at module level.
"""
from __future__ import annotations

import argparse
from pathlib import Path

EXPRESSION_CONTROLS = ("eyes", "mouth", "yaw")


def add_parsers(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "render", help="render a face (or a contact sheet of faces) to an image file",
        description="Render a face with the face generator. Examples:\n"
                    "  ohlora render -o face.png                  (the persona's face)\n"
                    "  ohlora render --seed 7 --eyes 1.0 --mouth 0.8 --yaw -0.5 -o f.png\n"
                    "  ohlora render --grid 4x4 --seeds 0-15 -o sheet.jpg --size 256",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    src = p.add_mutually_exclusive_group()
    src.add_argument("--seed", type=int, help="the face's seed (default: the persona's, weights/manifest.toml [persona])")
    src.add_argument("--w", type=Path, metavar="FILE", help="an explicit w: .npy or .pt holding 512 numbers")
    src.add_argument("--seeds", help="seeds for a contact sheet, e.g. 0-15 or 1,5,9 (with --grid)")
    p.add_argument("--grid", help="contact sheet layout COLSxROWS, e.g. 4x4")
    p.add_argument("--psi", type=float, default=None,
                   help="truncation ψ toward the mean face (default 0.7, or the persona's; 1 = none)")
    for name, what in (("eyes", "eye openness"), ("mouth", "mouth openness"), ("yaw", "head turn")):
        p.add_argument(f"--{name}", type=float, default=None, metavar="X",
                       help=f"{what} control (0 = as the face is; about -1…1, clamped to the usable range)")
    p.add_argument("--directions", type=Path, default=None,
                   help="expression directions file (default weights/directions/<generator>.safetensors)")
    p.add_argument("--size", type=int, default=None, help="output size in pixels (area-downscaled; default full "
                                                          "1024, 256 per tile for --grid)")
    p.add_argument("-o", "--output", type=Path, required=True, help="output file: .png, .jpg or .jpeg")
    p.add_argument("--quality", type=int, default=95, help="JPEG quality (default 95)")
    p.add_argument("--generator", default="mobilestylegan",
                   help="'mobilestylegan' (default) or a rosinality StyleGAN2 .pt checkpoint")
    p.add_argument("--device", default="auto", help="auto, cpu or cuda (default auto)")
    p.add_argument("--dtype", default="float32", help="float32, float16 or bfloat16 (half precision on CUDA only)")
    anim = p.add_argument_group("animation (--animate): a video of the frames the server streams")
    anim.add_argument("--animate", action="store_true",
                      help="write a video (.mp4): idle, then speaking a sentence, then smiling")
    anim.add_argument("--seconds", type=float, default=5.0, help="video length (default 5)")
    anim.add_argument("--fps", type=float, default=30.0, help="frames per second (default 30)")
    anim.add_argument("--path", default="auto", choices=("auto", "exact", "atlas"),
                      help="exact synthesis per frame, or the keyframe atlas (auto: exact on CUDA, atlas on CPU)")
    p.set_defaults(func=cmd_render)


def add_bench_parsers(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("render", help="frames/s of synthesize at batch 1, 4, 16 (beside OpenVINO when installed)")
    p.add_argument("--batches", default="1,4,16", help="batch sizes (default 1,4,16)")
    p.add_argument("--reps", type=int, default=None, help="timed repetitions per batch (default: by batch size)")
    p.add_argument("--device", default="auto")
    p.add_argument("--dtype", default="float32")
    p.add_argument("--no-write", action="store_true", help="print only; do not update docs/benchmarks.md")
    p.set_defaults(func=cmd_bench_render)

    p = sub.add_parser("animate", help="avatar sessions: frames/s per session, latency, CPU, memory (1/4/16 sessions)")
    p.add_argument("--sessions", default="1,4,16", help="simulated session counts (default 1,4,16)")
    p.add_argument("--sizes", default="256,512", help="frame sizes (default 256,512)")
    p.add_argument("--seconds", type=float, default=6.0, help="measured seconds per configuration (default 6)")
    p.add_argument("--device", default="auto")
    p.add_argument("--path", default="auto", choices=("auto", "exact", "atlas"))
    p.add_argument("--seed", type=int, default=None, help="the face (default: the persona's)")
    p.add_argument("--psi", type=float, default=0.7)
    p.add_argument("--directions", type=Path, default=None, help="expression directions file")
    p.add_argument("--no-write", action="store_true", help="print only; do not update docs/benchmarks.md")
    p.set_defaults(func=cmd_bench_animate)

    add_atlas_bench_parser(sub)


def add_atlas_bench_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("atlas", help="the CPU keyframe atlas's error vs exact renders (timeline and uniform points)")
    p.add_argument("--points", type=int, default=48, help="control points per distribution (default 48)")
    p.add_argument("--seed", type=int, default=None, help="the face (default: the persona's)")
    p.add_argument("--psi", type=float, default=None)
    p.add_argument("--directions", type=Path, default=None, help="expression directions file")
    p.add_argument("--study", action="store_true",
                   help="also measure error vs keyframes per control on nested grids (renders the dense grid once, "
                        "cached; ~10 min on 1 core for 9×9×17)")
    p.add_argument("--study-counts", default=None,
                   help="the dense grid's coordinates per control, e.g. 9,9,17 (default 9 per control, 17 for yaw)")
    p.add_argument("--exact-cache", type=Path, default=None,
                   help="folder for the cached exact renders (default: the weights cache's atlas folder)")
    p.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    p.add_argument("--no-write", action="store_true", help="print only; do not update docs/benchmarks.md")
    p.set_defaults(func=cmd_bench_atlas)


def cmd_bench_atlas(args: argparse.Namespace) -> int:
    import torch

    from render.benchmarks.atlas import bench_atlas
    from weights.benchdoc import write_section
    from weights.manifest import load_persona

    if args.threads:
        torch.set_num_threads(args.threads)
    if args.points < 2:
        raise ValueError("--points must be at least 2")
    seed, psi = load_persona()
    seed = seed if args.seed is None else args.seed
    psi = psi if args.psi is None else args.psi
    counts = tuple(int(c) for c in args.study_counts.split(",")) if args.study_counts else None
    body = bench_atlas(seed, psi, args.points, args.directions, args.study, counts, args.exact_cache)
    print(body)
    if not args.no_write:
        print(f"updated {write_section('atlas-error', 'Keyframe atlas: error against exact renders', body)}")
    return 0


def _load_w(path: Path):
    """w [N, 512] from a .npy or .pt file."""
    import numpy as np
    import torch

    if not path.exists():
        raise ValueError(f"w file '{path}' does not exist")
    if path.suffix == ".npy":
        arr = torch.from_numpy(np.load(path).astype(np.float32))
    elif path.suffix in (".pt", ".pth"):
        arr = torch.load(path, map_location="cpu", weights_only=True)
        if isinstance(arr, dict):
            raise ValueError(f"{path} holds a dict; save the w tensor itself")
        arr = torch.as_tensor(arr, dtype=torch.float32)
    else:
        raise ValueError(f"cannot read w from '{path.name}': use a .npy or .pt file")
    if arr.numel() % 512 or arr.numel() == 0:
        raise ValueError(f"w in {path} has {arr.numel()} numbers; expected 512 per face")
    return arr.reshape(-1, 512)


def cmd_render(args: argparse.Namespace) -> int:
    import numpy as np

    from render.generator import load_generator
    from render.images import IMAGE_SUFFIXES, contact_sheet, parse_grid, parse_seeds, save_image, to_uint8

    if args.animate:
        return cmd_animate(args)
    if args.output.suffix.lower() not in IMAGE_SUFFIXES:
        raise ValueError(f"cannot write '{args.output.name}': use a .png, .jpg or .jpeg file name")
    if not args.output.resolve().parent.is_dir():
        raise ValueError(f"folder '{args.output.parent}' does not exist")
    if args.grid and not args.seeds:
        raise ValueError("--grid needs --seeds, e.g. --grid 4x4 --seeds 0-15")
    controls = {n: getattr(args, n) for n in EXPRESSION_CONTROLS if getattr(args, n) is not None}
    if controls and args.seeds:
        raise ValueError("--eyes/--mouth/--yaw apply to one face: use --seed or --w, not --seeds")
    directions = None
    if controls:
        from render.directions import load_directions

        directions = load_directions(args.generator, args.directions)
        for name, value in controls.items():
            lo, hi = directions.ranges[name]
            if not lo <= value <= hi:
                print(f"note: --{name} {value:g} is outside the usable range {lo:g}…{hi:g}; clamped")
    # the user's inputs are read before the generator loads: a mistake is reported at once
    if args.seeds:
        seeds = parse_seeds(args.seeds)
        cols, rows = parse_grid(args.grid) if args.grid else (min(len(seeds), 8), -(-len(seeds) // 8))
        if len(seeds) > cols * rows:
            raise ValueError(f"{len(seeds)} seeds do not fit a {cols}x{rows} grid")
    w = _load_w(args.w)[:1] if args.w is not None else None  # rendered as given: no truncation
    gen = load_generator(args.generator, args.device, args.dtype)
    psi = 0.7 if args.psi is None else args.psi
    if args.seeds:
        size = args.size or 256
        tiles = []
        from tqdm import tqdm

        for i in tqdm(range(0, len(seeds), 4), desc="render", unit="batch"):
            tiles.append(to_uint8(gen.synthesize(gen.w_from_seeds(seeds[i:i + 4], psi)), size))
        sheet = contact_sheet(np.concatenate(tiles), [f"seed {s}" for s in seeds], cols)
        save_image(sheet, args.output, args.quality)
        print(f"wrote {args.output} ({len(seeds)} faces, {sheet.shape[1]}x{sheet.shape[0]})")
        return 0
    if w is not None:
        what = f"w from {args.w}"
    else:
        if args.seed is None:
            from weights.manifest import load_persona

            seed, persona_psi = load_persona()
            psi = persona_psi if args.psi is None else args.psi
            what = f"persona, seed {seed}, ψ={psi}"
        else:
            seed = args.seed
            what = f"seed {seed}, ψ={psi}"
        w = gen.w_from_seeds(parse_seeds(str(seed)), psi)
    if directions is not None:
        values = directions.controls_tensor(controls)  # clamped to the usable ranges
        w = directions.apply(w, values.to(w.device))
        what += ", " + ", ".join(f"{k} {float(values[directions.index(k)]):+g}" for k in controls)
    rgb = to_uint8(gen.synthesize(w), args.size)[0]
    save_image(rgb, args.output, args.quality)
    print(f"wrote {args.output} ({what}, {rgb.shape[1]}x{rgb.shape[0]})")
    return 0


def cmd_animate(args: argparse.Namespace) -> int:
    from render.demo_video import write_demo

    if args.output.suffix.lower() not in (".mp4", ".avi"):
        raise ValueError(f"cannot write video '{args.output.name}': use a .mp4 (or .avi) file name")
    if args.seeds or args.w is not None or args.grid:
        raise ValueError("--animate renders one face: use --seed, not --seeds/--grid/--w")
    if not 0.5 <= args.seconds <= 600:
        raise ValueError("--seconds must be between 0.5 and 600")
    if args.output.parent and not args.output.parent.exists():
        raise FileNotFoundError(f"folder '{args.output.parent}' does not exist")
    size = args.size or 256
    renderer = _renderer_for(args)
    try:
        n = write_demo(renderer, args.output, args.seconds, size, args.fps)
    finally:
        import asyncio

        asyncio.run(renderer.stop())
    print(f"wrote {args.output} ({n} frames, {size}x{size}, {args.fps:g} frames/s, {renderer.path} path)")
    return 0


def cmd_bench_render(args: argparse.Namespace) -> int:
    from weights.benchdoc import write_section
    from render.benchmarks.synthesis import bench_render, render_table
    from render.generator import load_generator

    batches = tuple(int(b) for b in args.batches.split(","))
    gen = load_generator("mobilestylegan", args.device, args.dtype)
    rows = bench_render(gen, batches, args.reps)
    table = render_table(rows)
    print(table)
    if not args.no_write:
        body = (f"`ohlora bench render --device {gen.device.type} --dtype {args.dtype}`: MobileStyleGAN synthesis "
                f"w → 1024² RGB, w different per sample. On CPU the OpenVINO rows run the original IR in fp32 "
                f"(`INFERENCE_PRECISION_HINT=f32`), interleaved with ours rep by rep.\n\n{table}")
        path = write_section(f"render-{gen.device.type}", f"Face generator ({gen.device.type})", body)
        print(f"updated {path}")
    return 0


def cmd_bench_animate(args: argparse.Namespace) -> int:
    import asyncio

    from weights.benchdoc import write_section
    from render.benchmarks.animation import animate_doc, animate_table, bench_animate

    sizes = tuple(int(s) for s in args.sizes.split(","))
    counts = tuple(int(n) for n in args.sessions.split(","))
    renderer = _renderer_for(args)
    try:
        rows = bench_animate(renderer, sizes, counts, args.seconds)
    finally:
        asyncio.run(renderer.stop())
    table = animate_table(rows)
    print(table)
    if not args.no_write:
        body = animate_doc(renderer, args.path, args.seconds, table)
        path = write_section(f"animate-{renderer.path}", f"Avatar animation ({renderer.path} path)", body)
        print(f"updated {path}")
    return 0


def _renderer_for(args: argparse.Namespace, log=print):
    """An AvatarRenderer from command-line flags (--generator, --device, --path, --seed, --psi, --directions)."""
    from render.avatar import AvatarConfig, AvatarRenderer

    cfg = AvatarConfig(generator=getattr(args, "generator", "mobilestylegan"), device=args.device, path=args.path,
                       seed=args.seed, psi=0.7 if args.psi is None else args.psi,
                       directions=str(args.directions) if args.directions else None, refine=False)
    renderer = AvatarRenderer(cfg, log=log)
    renderer._load()
    return renderer

